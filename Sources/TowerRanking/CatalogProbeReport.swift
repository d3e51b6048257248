import Foundation

/// How the catalog snapshot's partitioned scan compares with a scan of every product, for choosing
/// `RankerConfiguration.catalogProbeShare` and `catalogProbeMinimum` (`tower-bench serve` prints it).
public struct CatalogProbeReport: Sendable {
    public let products: Int
    public let lists: Int
    /// The products the probe was asked to scan, and those it scanned (whole lists).
    public let budget: Int
    public let scannedRows: Double
    /// The share of the top `limit` of a scan of every product that the partitioned scan found, averaged over the queries.
    public let recall: Double
    /// Microseconds per query: the partitioned scan, and the scan of every product.
    public let probeMicroseconds: Double
    public let fullMicroseconds: Double
}

extension Ranker {
    /// The partitioned top `limit` by cosine of `queries` against the scan of every product of the current catalog
    /// snapshot, probing `budget` products (nil: the configured share and minimum); nil while there is no snapshot.
    public func catalogProbeReport(queries: [[Float]], limit: Int, budget: Int? = nil) -> CatalogProbeReport? {
        guard let snapshot = caches.catalog.current(), !queries.isEmpty else { return nil }
        let budget = budget ?? configuration.catalogProbeBudget(snapshot.count)
        let scanned = queries.map { q in Double(snapshot.partitions.positions(for: q, budget: budget).reduce(0) { $0 + $1.count }) }
        func timed(_ budget: Int) -> (tops: [Set<Int64>], microseconds: Double) {
            let start = DispatchTime.now().uptimeNanoseconds
            let tops = queries.map { Set((snapshot.nearest(limit, query: $0, filters: .none, budget: budget) ?? []).map(\.id)) }
            return (tops, Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000 / Double(queries.count))
        }
        let (probe, full) = (timed(budget), timed(snapshot.count))
        let recall = zip(probe.tops, full.tops).map { p, f in f.isEmpty ? 1 : Double(p.intersection(f).count) / Double(f.count) }
        return CatalogProbeReport(products: snapshot.count, lists: snapshot.partitions.centroids.count, budget: budget,
                                  scannedRows: scanned.reduce(0, +) / Double(queries.count), recall: recall.reduce(0, +) / Double(queries.count),
                                  probeMicroseconds: probe.microseconds, fullMicroseconds: full.microseconds)
    }
}
