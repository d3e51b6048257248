import Foundation
import LibPQ
import TowerMath

/// A reproducible random catalog for ranking tests and `tower bench ranking`: `count` products with
/// random unit vectors and plausible attributes, plus customer vectors drawn the same way.
///
/// Vectors are not structureless noise (HNSW cannot index isotropic 384-d noise well, and real text
/// embeddings are far from it): each product sits in one of 1,000 clusters, grouped into 100
/// subcategories under 10 top categories, and its vector is the sum of random unit directions for
/// those three levels plus uniform noise, normalised. The category path follows the same hierarchy, so
/// a category filter selects a region of the space, as with real embeddings.
public struct SyntheticCatalog: Sendable {
    public let count: Int
    public let dimension: Int
    public let seed: UInt64
    /// Products per category level: 10 top categories × 10 subcategories × 10 clusters.
    public static let fanout = 10
    /// Per cluster: the weighted sum of its top-category, subcategory and cluster directions.
    private let clusterCenters: [[Float]]
    private static let weights: (top: Float, sub: Float, cluster: Float, noise: Float) = (0.55, 0.55, 0.6, 0.55)
    private static let colors = ["black", "white", "red", "blue", "green", "grey", "brown", "beige"]

    public init(count: Int, dimension: Int = 384, seed: UInt64 = 42) {
        self.count = count
        self.dimension = dimension
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        let n = Self.fanout
        let directions = (0..<(n + n * n + n * n * n)).map { _ in Self.unit((0..<dimension).map { _ in rng.nextGaussian() }) }
        let w = Self.weights
        clusterCenters = (0..<(n * n * n)).map { c in
            let top = directions[c / (n * n)], sub = directions[n + c / n], leaf = directions[n + n * n + c]
            return (0..<dimension).map { d in w.top * top[d] + w.sub * sub[d] + w.cluster * leaf[d] }
        }
    }

    /// Top-level category names, `"cat0"` … `"cat9"`.
    public static func topCategory(_ i: Int) -> String { "cat\(i)" }

    /// Product `id`'s cluster (0..<1000); its category path is `[cat<c/100>, sub<c/10>]`.
    public func cluster(of id: Int64) -> Int {
        var rng = SplitMix64(seed: seed ^ (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15))
        return Int(rng.next() % UInt64(clusterCenters.count))
    }

    /// A unit vector drawn around `cluster`: its center plus uniform noise of standard deviation
    /// `noise / √dimension` per component (what a product of that cluster, or a customer interested in it, gets).
    public func vector(near cluster: Int, rng: inout SplitMix64) -> [Float] {
        let halfWidth = Self.weights.noise / Float(dimension).squareRoot() * Float(3).squareRoot()
        var v = clusterCenters[cluster]
        v.withUnsafeMutableBufferPointer { out in
            var d = 0
            while d < out.count {
                var bits = rng.next()  // four 16-bit uniforms per draw
                for _ in 0..<4 where d < out.count {
                    out[d] += halfWidth * (Float(bits & 0xFFFF) / 32_767.5 - 1)
                    bits >>= 16
                    d += 1
                }
            }
        }
        return Self.unit(v)
    }

    /// Product `id`'s vector (products are ids 1…count).
    public func productVector(_ id: Int64) -> [Float] {
        var rng = SplitMix64(seed: seed &+ UInt64(bitPattern: id) &* 0xD1B5_4A32_D192_ED03)
        return vector(near: cluster(of: id), rng: &rng)
    }

    /// Customer `i`'s vector: focused on one random cluster, or (`interests` > 1) the normalised sum of several.
    public func customerVector(_ i: Int, interests: Int = 1) -> [Float] {
        var rng = SplitMix64(seed: seed &+ 0xC0FFEE &+ UInt64(i) &* 0xA24B_AED4_963E_E407)
        var sum = [Float](repeating: 0, count: dimension)
        for _ in 0..<max(1, interests) {
            let v = vector(near: Int(rng.next() % UInt64(clusterCenters.count)), rng: &rng)
            for d in 0..<dimension { sum[d] += v[d] }
        }
        return Self.unit(sum)
    }

    /// Loads products 1…count with COPY (and ANALYZE); `progress` is called after each 10,000 rows.
    public func load(into connection: PQConnection, progress: (Int) -> Void = { _ in }) throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        try connection.copyIn("""
            COPY products (product_id, name, merchant, category_path, color, price, popularity, created_at, embedding) FROM STDIN
            """) { write in
            for id in 1...Int64(count) {
                var rng = SplitMix64(seed: seed ^ 0x5EED ^ UInt64(bitPattern: id))
                let c = cluster(of: id)
                let path = PQArray([Self.topCategory(c / 100), "sub\(c / 10)"])
                let price = (Double(rng.next() % 50_000) + 100) / 100
                let popularity = Double(rng.next() % 1000)
                let created = start.addingTimeInterval(-Double(rng.next() % (365 * 86_400)))
                var line = CopyText.row([id, "Product \(id)", "merchant\(rng.next() % 25)", path,
                                         Self.colors[Int(rng.next() % UInt64(Self.colors.count))], price, popularity, created])
                line += "\t"
                Self.appendVector(productVector(id), to: &line)
                try write(line)
                if id % 10_000 == 0 { progress(Int(id)) }
            }
        }
        try connection.execute("ANALYZE products")
    }

    /// Stores the vectors of customers `ids` in `user_vectors` (`interests` as in `customerVector`).
    public func loadCustomers(_ ids: ClosedRange<Int>, interests: Int = 1, into connection: PQConnection) throws {
        try connection.copyIn("COPY user_vectors (customer_id, embedding, model_version) FROM STDIN") { write in
            for i in ids {
                var line = "\(i)\t"
                Self.appendVector(customerVector(i, interests: interests), to: &line)
                try write(line + "\tsynthetic")
            }
        }
        try connection.execute("ANALYZE user_vectors")
    }

    /// `[x,y,…]` with six decimals (components of unit vectors lie in -1…1): far faster than `Float.description`.
    static func appendVector(_ v: [Float], to line: inout String) {
        let text = [UInt8](unsafeUninitializedCapacity: v.count * 10 + 2) { out, written in
            var n = 0
            func put(_ byte: UInt8) { out[n] = byte; n += 1 }
            put(UInt8(ascii: "["))
            for (i, x) in v.enumerated() {
                if i > 0 { put(UInt8(ascii: ",")) }
                var scaled = Int((abs(x) * 1_000_000).rounded())
                if x < 0 && scaled > 0 { put(UInt8(ascii: "-")) }
                put(UInt8(ascii: "0") + UInt8(scaled / 1_000_000))
                put(UInt8(ascii: "."))
                scaled %= 1_000_000
                for k in stride(from: n + 5, through: n, by: -1) {
                    out[k] = UInt8(ascii: "0") + UInt8(scaled % 10)
                    scaled /= 10
                }
                n += 6
            }
            put(UInt8(ascii: "]"))
            written = n
        }
        line += String(decoding: text, as: UTF8.self)
    }

    static func unit(_ v: [Float]) -> [Float] {
        var v = v
        v.withUnsafeMutableBufferPointer { p in
            var sum: Float = 0
            for x in p { sum += x * x }
            let scale = sum > 0 ? 1 / sum.squareRoot() : 1
            for i in p.indices { p[i] *= scale }
        }
        return v
    }
}
