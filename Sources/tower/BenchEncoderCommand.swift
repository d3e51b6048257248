import ArgumentParser
import CDispatch
import Foundation
import TowerMath
import TowerTextEncoder

/// `tower bench encoder`: MiniLM products/s on generated product texts, batch 1 and batch 32.
struct BenchEncoderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder", abstract: "Benchmark the MiniLM encoder.",
        discussion: """
        Encodes generated product texts in the seed's style (`Name | by Merchant | Parent | Category | \
        Subcategory | Color color | tier`, about 27 word pieces) and prints products/s for each batch size \
        and each way of using the cores: one OpenBLAS thread, OpenBLAS threads on all cores, and one \
        Swift thread per core, each encoding whole batches with single-threaded OpenBLAS (as `tower catalog \
        embed` does).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Number of product texts.") var count = 1000
    @Option(help: "Comma-separated batch sizes.") var batchSizes = "1,32"
    @Option(help: "Seed of the text generator.") var seed: UInt64 = 42

    func run() async throws {
        try await runReportingErrors {
            print(BLASKernel.current)
            let encoder = try global.loadEncoder()
            let texts = SyntheticProducts.texts(count: count, seed: seed)
            let pieces = texts.map { encoder.tokenizer.encode($0).count }
            print(String(format: "%d texts, %.1f word pieces on average (incl. [CLS]/[SEP]), e.g. \"%@\"",
                         texts.count, Double(pieces.reduce(0, +)) / Double(max(1, texts.count)), texts.first ?? ""))
            let cores = EncoderParallelism.cores
            _ = encoder.embed(Array(texts.prefix(32)))  // warm-up: page in the weights
            for batch in batchSizes.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) where batch > 0 {
                let batches = stride(from: 0, to: texts.count, by: batch).map { Array(texts[$0..<min($0 + batch, texts.count)]) }
                let modes: [(String, () throws -> Void)] = [
                    ("1 thread", { BLAS.setThreads(1); for b in batches { _ = encoder.embed(b) } }),
                    ("OpenBLAS \(cores) threads", { BLAS.setThreads(cores); for b in batches { _ = encoder.embed(b) } }),
                    ("\(cores) Swift threads", { try EncoderParallelism.embed(encoder, batches: batches) { _, _ in } }),
                ]
                for (mode, embed) in modes {
                    let start = Date(), cpuStart = Self.cpuSeconds()
                    try embed()
                    let seconds = Date().timeIntervalSince(start), cpu = Self.cpuSeconds() - cpuStart
                    let label = "batch \(batch), \(mode):".padding(toLength: 32, withPad: " ", startingAt: 0)
                    print(label + String(format: "%7.1f products/s  (%.2f s wall, %.2f s CPU: %.1f products per CPU-second)",
                                         Double(texts.count) / seconds, seconds, cpu, Double(texts.count) / cpu))
                }
            }
            printCeiling(encoder.config, pieces: pieces, cores: cores)
        }
    }
}

extension BenchEncoderCommand {
    /// The SGEMM-bound ceiling: the rate of single-threaded OpenBLAS at the FFN's shape for a batch of 32
    /// (the encoder's largest products), alone and on every core at once, over the texts' FLOPs.
    func printCeiling(_ config: MiniLMConfig, pieces: [Int], cores: Int) {
        BLAS.setThreads(1)
        let m = 32 * (pieces.reduce(0, +) / max(1, pieces.count)), n = config.intermediate, k = config.hidden
        let one = SGEMMBench.concurrentRate(m: m, n: n, k: k, threads: 1, repeats: 100)
        let all = SGEMMBench.concurrentRate(m: m, n: n, k: k, threads: cores, repeats: 100)
        let perProduct = pieces.reduce(0) { $0 + config.forwardFLOPs(tokens: $1) } / Double(max(1, pieces.count))
        print(String(format: "SGEMM %d×%d·%d×%d, single-threaded OpenBLAS: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads at once",
                     m, k, k, n, one, all, cores))
        print(String(format: "one product = %.3f GFLOP → ceiling at that rate with zero other work: %.0f products/s on 1 core, %.0f on %d",
                     perProduct / 1e9, one * 1e9 / perProduct, all * 1e9 / perProduct, cores))
    }

    /// CPU time used by this process so far (all threads). On a shared machine the wall-clock rate
    /// drops with other load; products per CPU-second shows what the cores themselves deliver.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Deterministic product texts in the seed's style, for benchmarks.
enum SyntheticProducts {
    static let brands = ["Nike", "Bodum", "Samsung", "Lego", "Patagonia", "Philips", "Logitech", "IKEA", "Le Creuset",
                         "Sony", "Adidas", "KitchenAid", "Dyson", "Herschel", "Fjällräven", "Xiaomi", "Bosch", "Canon"]
    static let adjectives = ["Ultralight", "Classic", "Pro", "Compact", "Wireless", "Ergonomic", "Stainless", "Organic",
                             "Vintage", "Waterproof", "Insulated", "Foldable", "Smart", "Handcrafted", "Cordless", "Premium"]
    static let nouns = ["running shoe", "french press", "espresso grinder", "trail jacket", "mechanical keyboard",
                        "noise-cancelling headphones", "cast iron skillet", "backpack", "desk lamp", "building set",
                        "robot vacuum", "hiking boots", "water bottle", "office chair", "torch", "sleeping bag"]
    static let categories = [["Shoes", "Sneakers", "Running"], ["Kitchen", "Cookware", "Pans"], ["Electronics", "Audio", "Headphones"],
                             ["Outdoor", "Camping", "Sleeping bags"], ["Home", "Furniture", "Office chairs"],
                             ["Toys", "Construction", "Building sets"], ["Kitchen", "Coffee", "Grinders"], ["Apparel", "Jackets", "Softshell"]]
    static let colors = ["Black", "Silver", "Forest green", "Navy blue", "Burgundy", "Sand", "White", "Graphite"]
    static let models = ["X200", "Series 5", "Mk II", "2024 edition", "v3", "XL", "Mini", ""]
    static let features = ["with carry case", "for everyday use", "set of 2", "with bamboo handle", "gift edition",
                           "for travel", "with USB-C charging", "", "", ""]

    static func texts(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[rng.nextIndex(xs.count)] }
        return (0..<count).map { _ in
            let name = [pick(adjectives), pick(nouns), pick(models), pick(features)].filter { !$0.isEmpty }.joined(separator: " ")
            return ProductText(name: name, merchant: pick(brands), categoryPath: pick(categories), color: pick(colors),
                               tier: pick(PriceTier.allCases)).text
        }
    }
}
