import LibPQ

/// How the catalog snapshot is read. Every read lists all rankable products with their facts and their row version
/// (`xmin`, which every update of a row changes), but a refresh fetches the vectors of the products whose row changed
/// since the previous snapshot only, and takes the others from it: at 100,000 products the vectors are about 150 MB
/// of the 160 MB a full read moves.
extension CatalogSnapshot {
    /// The catalog as `session` sees it (one transaction: the listing and the vectors agree), nil when it holds more than
    /// `limit` rankable products.
    static func read(_ session: ReadSession, limit: Int, previous: CatalogSnapshot?) throws -> CatalogSnapshot? {
        let withVectors = previous == nil
        let listing = try session.query("""
            SELECT p.product_id, p.xmin::text::bigint, \(ProductFacts.columns(vector: withVectors)) FROM products p
            WHERE p.active AND p.embedding IS NOT NULL ORDER BY p.product_id LIMIT $1
            """, [limit + 1])
        guard listing.count <= limit else { return nil }
        var ids: [Int64] = [], versions: [Int64] = [], facts: [ProductFacts] = []
        for row in listing.rows {
            ids.append(try row.decode(0))
            versions.append(try row.decode(1))
            facts.append(try ProductFacts(row, from: 2, vector: withVectors))
        }
        var vectorsRead = ids.count
        if let previous {
            let changed = ids.indices.filter { previous.version(of: ids[$0]) != versions[$0] }.map { ids[$0] }
            var read: [Int64: [Float]] = [:]
            if !changed.isEmpty {
                let result = try session.query("SELECT product_id, embedding FROM products WHERE product_id = ANY($1::bigint[])",
                                               [PQArray(changed)])
                for row in result.rows { read[try row.decode(0)] = try row.decode(1) }
            }
            vectorsRead = changed.count
            facts = facts.indices.map { i in facts[i].with(vector: read[ids[i]] ?? previous.vector(of: ids[i])) }
        }
        let rows = ids.indices.map { (id: ids[$0], facts: facts[$0]) }
        return CatalogSnapshot(rows: rows, versions: versions, vectorsRead: vectorsRead, previous: previous)
    }
}
