import LibPQ

/// How the catalog snapshot is read. Every read lists all rankable products with their facts and their row version
/// (`xmin`, which every update of a row changes), but a refresh fetches the vectors of the products whose row changed
/// since the previous snapshot only, and takes the others from it: at 100,000 products the vectors are about 150 MB
/// of the 160 MB a full read moves.
extension CatalogSnapshot {
    /// The catalog as `session` sees it (one transaction: the listing and the vectors agree), nil when it holds more than
    /// `limit` rankable products.
    static func read(_ session: ReadSession, limit: Int, previous: CatalogSnapshot?) throws -> CatalogSnapshot? {
        let listing = try session.query("""
            SELECT p.product_id, p.xmin::text::bigint, \(ProductFacts.columns(vector: previous == nil)) FROM products p
            WHERE p.active AND p.embedding IS NOT NULL ORDER BY p.product_id LIMIT $1
            """, [limit + 1])
        guard listing.count <= limit else { return nil }
        var ids: [Int64] = [], versions: [Int64] = [], facts: [ProductFacts] = [], vectors: [[Float]?] = []
        for row in listing.rows {
            ids.append(try row.decode(0))
            versions.append(try row.decode(1))
            facts.append(try ProductFacts(row, from: 2, vector: false))
            vectors.append(previous == nil ? try row.decode(2 + ProductFacts.vectorColumn) : nil)
        }
        var vectorsRead = ids.count
        if let previous {
            var changed: [Int] = []  // rows whose version differs from the previous snapshot's (or new ones)
            for i in ids.indices {
                if previous.version(of: ids[i]) == versions[i] { vectors[i] = previous.vector(of: ids[i]) } else { changed.append(i) }
            }
            if !changed.isEmpty {
                let result = try session.query("SELECT product_id, embedding FROM products WHERE product_id = ANY($1::bigint[])",
                                               [PQArray(changed.map { ids[$0] })])
                var read: [Int64: [Float]] = [:]
                for row in result.rows { read[try row.decode(0)] = try row.decode(1) }
                for i in changed { vectors[i] = read[ids[i]] }
            }
            vectorsRead = changed.count
        }
        let kept = ids.indices.filter { vectors[$0] != nil }  // every row, as the listing and the vectors share a snapshot
        return CatalogSnapshot(rows: kept.map { (ids[$0], facts[$0], vectors[$0]!) }, versions: kept.map { versions[$0] },
                               vectorsRead: vectorsRead, previous: previous)
    }
}
