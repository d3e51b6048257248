import Foundation
import Synchronization
import TowerMath
import TowerRanking
import TowerRerank

/// One route of `tower-bench serve`: its HTTP request for wrk (Lua expressions over the random customer `c` and
/// product `p`) and the same reads through the library.
struct ServeScenario: Sendable {
    let name: String
    let method: String
    /// Lua expression of the path (and query).
    let path: String
    /// Lua expression of the JSON body, for POST.
    var body: String? = nil
    /// Whether the route is a personalised feed (its re-ranked head ranks from the catalog snapshot).
    var feed = false
    /// What the route does, through `Ranker` directly.
    let library: @Sendable (Ranker, _ customer: Int64, _ product: Int64) throws -> Void

    /// Every route with a ranking read, as `tower serve` answers them (20 results, products looked up as the routes do).
    static func all(category: String) -> [ServeScenario] {
        return [
            ServeScenario(name: "feed", method: "GET", path: #""/v1/customers/" .. c .. "/feed""#, feed: true) { r, c, _ in try feed(r, .none, c) },
            ServeScenario(name: "feed, category", method: "GET", path: #""/v1/customers/" .. c .. "/feed?category=\#(category)""#, feed: true) { r, c, _ in
                try feed(r, RankingFilters(categoryPrefix: [category]), c)
            },
            ServeScenario(name: "algolia for-you", method: "POST", path: #""/1/indexes/*/recommendations""#,
                          body: #"'{"requests":[{"indexName":"products","model":"recommended-for-you","maxRecommendations":20,"queryParameters":{"userToken":"' .. c .. '"}}]}'"#, feed: true) { r, c, _ in
                try feed(r, .none, c)
            },
            ServeScenario(name: "similar", method: "GET", path: #""/v1/products/" .. p .. "/similar""#) { r, _, p in
                _ = try r.products(try r.similar(to: p).map(\.productID))
            },
            ServeScenario(name: "related", method: "GET", path: #""/v1/products/" .. p .. "/related""#) { r, _, p in
                try list(r, try r.neighbors(of: p, kind: .covisit))
            },
            ServeScenario(name: "bought-together", method: "GET", path: #""/v1/products/" .. p .. "/bought-together""#) { r, _, p in
                try list(r, try r.neighbors(of: p, kind: .bought))
            },
            ServeScenario(name: "trending", method: "GET", path: #""/v1/trending""#) { r, _, _ in try list(r, try r.trending()) },
            ServeScenario(name: "recently-viewed", method: "GET", path: #""/v1/customers/" .. c .. "/recently-viewed""#) { r, c, _ in
                try list(r, try r.recentlyViewed(customer: c))
            },
            ServeScenario(name: "product", method: "GET", path: #""/v1/products/" .. p"#) { r, _, p in _ = try r.products([p]) },
        ]
    }

    /// A list route: the list, then its products.
    private static func list(_ ranker: Ranker, _ items: [ScoredProduct]) throws { _ = try ranker.catalogProducts(items.map(\.productID)) }

    /// The feed route: page 1 of 20, then its products.
    private static func feed(_ ranker: Ranker, _ filters: RankingFilters, _ customer: Int64) throws {
        _ = try ranker.catalogProducts(try ranker.feed(customer: customer, filters: filters).items.map(\.productID))
    }
}

/// Latency percentiles and throughput of one load run.
struct LoadFigures {
    var requests: Int
    var seconds: Double
    var p50ms: Double
    var p99ms: Double
    /// Non-2xx answers and socket errors (HTTP) or thrown errors (library).
    var errors: Int

    var perSecond: Double { Double(requests) / seconds }
}

/// Drives a running `tower serve` with wrk (a real HTTP load generator, `apt-get install wrk`).
struct WrkLoad {
    let baseURL: String
    let customers: Int
    let products: Int

    /// Runs `scenario` with `connections` keep-alive connections for `seconds`.
    func run(_ scenario: ServeScenario, connections: Int, seconds: Int) throws -> LoadFigures {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("tower-bench-serve-\(getpid()).lua")
        try lua(scenario).write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wrk", "-t", String(min(2, connections)), "-c", String(connections), "-d", "\(seconds)s",
                             "--timeout", "10s", "-s", script.path, baseURL]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { throw BenchServeError.wrkMissing }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw process.terminationStatus == 127 ? BenchServeError.wrkMissing : BenchServeError.wrkFailed(text)
        }
        // The `done` hook prints: requests, duration µs, p50 µs, p99 µs, errors.
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TOWER ") }),
              case let f = line.split(separator: " ").dropFirst().compactMap({ Double($0) }), f.count == 5 else {
            throw BenchServeError.wrkFailed(text)
        }
        return LoadFigures(requests: Int(f[0]), seconds: f[1] / 1e6, p50ms: f[2] / 1e3, p99ms: f[3] / 1e3, errors: Int(f[4]))
    }

    /// The wrk script: uniformly random customers and products per request, figures printed by `done`.
    private func lua(_ s: ServeScenario) -> String {
        let body = s.body.map { ", {[\"Content-Type\"] = \"application/json\"}, " + $0 } ?? ""
        return """
            local threads = 0
            setup = function(thread) threads = threads + 1; thread:set("id", threads) end
            init = function(args) math.randomseed(os.time() * 100 + id) end
            request = function()
              local c, p = math.random(1, \(customers)), math.random(1, \(products))
              return wrk.format("\(s.method)", \(s.path)\(body))
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("TOWER %d %d %d %d %d\\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
            end
            """
    }
}

/// The same reads through the library: `callers` threads calling `Ranker` back to back for `seconds`.
struct LibraryLoad {
    let ranker: Ranker
    let customers: Int
    let products: Int

    func run(_ scenario: ServeScenario, callers: Int, seconds: Double) -> LoadFigures {
        let collected = Collected()
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        for caller in 0..<callers {
            group.enter()
            Thread.detachNewThread { [ranker, customers, products] in
                var rng = SplitMix64(seed: UInt64(caller) &+ start)
                var mine: [Double] = [], failed = 0
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    do {
                        try scenario.library(ranker, Int64(1 + rng.nextIndex(customers)), Int64(1 + rng.nextIndex(products)))
                    } catch { failed += 1 }
                    mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
                collected.results.withLock {
                    $0.latencies += mine
                    $0.errors += failed
                }
                group.leave()
            }
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (latencies, errors) = collected.results.withLock { ($0.latencies.sorted(), $0.errors) }
        return LoadFigures(requests: latencies.count, seconds: elapsed, p50ms: BenchRankingCommand.percentile(latencies, 0.5),
                           p99ms: BenchRankingCommand.percentile(latencies, 0.99), errors: errors)
    }
}

/// The callers' latencies and failures.
private final class Collected: Sendable {
    let results = Mutex<(latencies: [Double], errors: Int)>(([], 0))
}

enum BenchServeError: Error, CustomStringConvertible {
    case wrkMissing
    case wrkFailed(String)
    case serverDidNotStart

    var description: String {
        switch self {
        case .wrkMissing: return "wrk is not installed: `apt-get install wrk` (Debian), then run the benchmark again"
        case .wrkFailed(let output): return "wrk failed: \(output.prefix(500))"
        case .serverDidNotStart: return "tower serve did not start within 30 s: is the --port free?"
        }
    }
}
