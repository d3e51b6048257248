import Foundation
import TowerRerank
import XCTest

final class CoVisitationTests: XCTestCase {
    /// Customer 1: products 10 (w 1) and 20 (w 2); customer 2: 10 (w 1), 20 (w 1), 30 (w 5 — bought).
    /// Columns: x10 = (1, 1), x20 = (2, 1), x30 = (0, 5).
    let events = [
        CoVisitEvent(customerID: 1, productID: 10, weight: 1), CoVisitEvent(customerID: 1, productID: 20, weight: 2),
        CoVisitEvent(customerID: 2, productID: 10, weight: 1), CoVisitEvent(customerID: 2, productID: 20, weight: 1),
        CoVisitEvent(customerID: 2, productID: 30, weight: 5),
    ]

    func testCosineOfEventWeightedColumns() {
        let n = CoVisitation.neighbors(of: events, kind: .covisit, boughtThreshold: 5)
        XCTAssertEqual(n[10]!.map(\.productID), [20, 30])
        XCTAssertEqual(n[10]![0].score, Float(3 / (2.squareRoot() * 5.squareRoot())), accuracy: 1e-6)
        XCTAssertEqual(n[10]![1].score, Float(5 / (2.squareRoot() * 5)), accuracy: 1e-6)
        XCTAssertEqual(n[30]!.map(\.productID), [10, 20])
        XCTAssertEqual(n[30]![1].score, Float(5 / (5.squareRoot() * 5)), accuracy: 1e-6)
        XCTAssertTrue(n.values.allSatisfy { $0.allSatisfy { $0.score > 0 && $0.score <= 1 } })
    }

    func testBoughtKindUsesOnlyHeavyEventsAndLimitCuts() {
        let heavy = events + [CoVisitEvent(customerID: 2, productID: 40, weight: 5)]
        let n = CoVisitation.neighbors(of: heavy, kind: .bought, boughtThreshold: 5)
        XCTAssertEqual(n[30], [Neighbor(productID: 40, score: 1)])
        XCTAssertNil(n[10])
        let one = CoVisitation.neighbors(of: events, limit: 1)
        XCTAssertEqual(one[10]?.map(\.productID), [20])
        XCTAssertEqual(CoVisitation.boughtThreshold(weights: ["product_viewed": 0.1, "product_added_to_cart": 5]), 5)
    }

    func testCustomerCapKeepsMostRecentProducts() {
        // Customer 1 touched 10, 20, 30 in that order; with a cap of 2 only 20 and 30 co-occur.
        let log = [10, 20, 30].map { CoVisitEvent(customerID: 1, productID: $0, weight: 1) }
        let n = CoVisitation.neighbors(of: log, maxProductsPerCustomer: 2)
        XCTAssertNil(n[10])
        XCTAssertEqual(n[20], [Neighbor(productID: 30, score: 1)])
    }
}

final class RerankScorerTests: XCTestCase {
    func context() -> RerankContext {
        RerankContext(history: [HistoryItem(productID: 1, weight: 2, ageSeconds: 0), HistoryItem(productID: 1, weight: 2, ageSeconds: 86_400),
                                HistoryItem(productID: 2, weight: 4, ageSeconds: 7_200)],
                      covisit: [1: [Neighbor(productID: 3, score: 0.5)]], bought: [:],
                      categories: [1: ["shoes"], 2: ["bags"]], priceTiers: [1: "low"])
    }

    func testFeaturesFromRawSignals() {
        let c = context()
        let x = RerankFeatures.matrix([ProductSignals(productID: 1, cosine: 0.25, weight7d: 3, categories: ["shoes"], priceTier: "low",
                                                      sources: [.similar, .repeat]),
                                       ProductSignals(productID: 3, cosine: -0.5, trendScore: -2, sources: .covisit)], context: c)
        let f = RerankFeatures.count
        XCTAssertEqual(x.count, 2 * f)
        func v(_ row: Int, _ name: String) -> Float { x[row * f + RerankFeatures.names.firstIndex(of: name)!] }
        let decayed1: Float = 2 + 1, sum: Float = 3 + 4 * exp2(-7_200 / 86_400)
        XCTAssertEqual(v(0, "cosine"), 0.25)
        XCTAssertEqual(v(0, "repeat_decayed"), log1p(decayed1), accuracy: 1e-6)
        XCTAssertEqual(v(0, "repeat_total"), log1p(4), accuracy: 1e-6)
        XCTAssertEqual(v(0, "hours_since_touch"), 0)
        XCTAssertEqual(v(0, "category_affinity"), decayed1 / sum, accuracy: 1e-6)
        XCTAssertEqual(v(0, "price_tier_affinity"), decayed1 / sum, accuracy: 1e-6)
        XCTAssertEqual(v(0, "popularity_7d"), log1p(3), accuracy: 1e-6)
        XCTAssertEqual(v(0, "source_repeat"), 1)
        XCTAssertEqual(v(1, "touched"), 0)
        XCTAssertEqual(v(1, "covisit"), decayed1 / sum * 0.5, accuracy: 1e-6)
        XCTAssertEqual(v(1, "covisit_max"), 0.5)
        XCTAssertEqual(v(1, "covisit_hits"), log1p(1), accuracy: 1e-6)
        XCTAssertEqual(v(1, "trend"), -log1p(2), accuracy: 1e-6)
        XCTAssertEqual(v(1, "source_similar"), 0)
    }

    /// The history features beyond sums: a second half-life, counts, the last and the heaviest touch, the recency
    /// position, the customer's own repeat share, and co-visitation with the week half-life and of the last product.
    func testHistoryShapeFeatures() {
        let c = context()
        let x = RerankFeatures.matrix([ProductSignals(productID: 1, cosine: 0, sources: .repeat),
                                       ProductSignals(productID: 2, cosine: 0, sources: .repeat),
                                       ProductSignals(productID: 3, cosine: 0, sources: .covisit)], context: c)
        let f = RerankFeatures.count
        func v(_ row: Int, _ name: String) -> Float { x[row * f + RerankFeatures.names.firstIndex(of: name)!] }
        let week1: Float = 2 + 2 * exp2(-1 / 7), week2: Float = 4 * exp2(-7_200 / 604_800)
        XCTAssertEqual(c.recent, [1, 2])
        XCTAssertEqual(v(0, "repeat_decayed_7d"), log1p(week1), accuracy: 1e-6)
        XCTAssertEqual(v(0, "touch_count"), log1p(2), accuracy: 1e-6)
        XCTAssertEqual(v(1, "last_touch_weight"), log1p(4), accuracy: 1e-6)
        XCTAssertEqual(v(1, "max_touch_weight"), log1p(4), accuracy: 1e-6)
        XCTAssertEqual(v(0, "recency_rank"), 1)
        XCTAssertEqual(v(1, "recency_rank"), 0.5)
        XCTAssertEqual(v(2, "recency_rank"), 0)
        for row in 0..<3 {
            XCTAssertEqual(v(row, "customer_repeat_share"), 1 - 2 / 3, accuracy: 1e-6, "one of three events returns to a product")
            XCTAssertEqual(v(row, "history_events"), log1p(3), accuracy: 1e-6)
        }
        XCTAssertEqual(v(0, "touched_x_repeat_share"), 1 - 2 / 3, accuracy: 1e-6)
        XCTAssertEqual(v(2, "touched_x_repeat_share"), 0)
        XCTAssertEqual(v(2, "covisit_7d"), week1 / (week1 + week2) * 0.5, accuracy: 1e-6)
        XCTAssertEqual(v(2, "covisit_last"), 0.5, "a neighbour of the most recent product")
        XCTAssertEqual(v(2, "touch_count"), 0)
        let heavierLast = RerankContext(history: [HistoryItem(productID: 4, weight: 5, ageSeconds: 60),
                                                  HistoryItem(productID: 4, weight: 0.1, ageSeconds: 60),
                                                  HistoryItem(productID: 4, weight: 2, ageSeconds: 600)], covisit: [:], bought: [:])
        XCTAssertEqual(heavierLast.touched[4]?.lastWeight, 5, "of one basket's touches the heaviest is the last")
        XCTAssertEqual(RerankContext(history: [], covisit: [:], bought: [:]).repeatShare, 0)
    }

    /// Parameters trained on another feature set (e.g. the 21 features before the history-shape ones) are refused
    /// with the error that says to retrain; the serving path then keeps the cosine order.
    func testParametersOfAnotherFeatureSetAreRefused() throws {
        var old = RerankParameters(version: "v")
        old.featureNames = Array(RerankFeatures.names.prefix(21))
        old.mean = Array(old.mean.prefix(21))
        old.scale = Array(old.scale.prefix(21))
        old.linear = Array(old.linear.prefix(21))
        XCTAssertThrowsError(try RerankParameters.decode(json: try old.json())) { error in
            guard case RerankError.featureMismatch(let stored, let expected) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(stored.count, 21)
            XCTAssertEqual(expected, RerankFeatures.names)
            XCTAssertTrue("\(error)".contains("retrain with `tower train`"))
        }
    }

    func testCandidatesMergeSourcesInIdOrder() {
        let c = context()
        let merged = RerankCandidates.merge(similar: [9, 3, 8], history: [], context: c, trending: [7], popular: [9],
                                            settings: CandidateSettings(similar: 2, repeat: 1, covisit: 5, interests: 0, popular: 1))
        XCTAssertEqual(merged.map(\.productID), [1, 3, 7, 9])
        XCTAssertEqual(merged.map(\.sources), [.repeat, [.similar, .covisit], .popular, [.similar, .popular]])
        let others = RerankCandidates.merge(similar: [], history: [], context: c, trending: [7], popular: [9],
                                            settings: CandidateSettings(similar: 2, repeat: 1, covisit: 5, interests: 0, popular: 1))
        let added = RerankCandidates.adding(similar: [9, 3, 8], limit: 2, to: others)
        XCTAssertEqual(added.map(\.productID), merged.map(\.productID), "the top added afterwards: the same candidates")
        XCTAssertEqual(added.map(\.sources), merged.map(\.sources))
    }

    /// A heavy old interest (product 1) drowns the summed co-visitation score of a light recent one (product 2);
    /// the per-interest source still brings the recent one's best neighbour.
    func testPerInterestCandidatesKeepARecentLightInterest() {
        let history = (0..<10).map { _ in HistoryItem(productID: 1, weight: 5, ageSeconds: 3_600) }
            + [HistoryItem(productID: 2, weight: 0.1, ageSeconds: 0)]
        let c = RerankContext(history: history,
                              covisit: [1: [Neighbor(productID: 10, score: 0.9), Neighbor(productID: 11, score: 0.8)],
                                        2: [Neighbor(productID: 20, score: 0.9), Neighbor(productID: 21, score: 0.5)]],
                              bought: [2: [Neighbor(productID: 22, score: 0.4)]])
        func sources(_ settings: CandidateSettings) -> [Int64: CandidateSources] {
            Dictionary(uniqueKeysWithValues: RerankCandidates.merge(similar: [], history: history, context: c, trending: [], popular: [],
                                                                    settings: settings).map { ($0.productID, $0.sources) })
        }
        let summed = sources(CandidateSettings(similar: 0, repeat: 0, covisit: 2, interests: 0, popular: 0))
        XCTAssertEqual(summed, [10: .covisit, 11: .covisit, 22: .covisit], "20 is drowned by product 1's neighbours")
        let perInterest = sources(CandidateSettings(similar: 0, repeat: 0, covisit: 2, interests: 1, perInterest: 1, popular: 0))
        XCTAssertEqual(perInterest, [10: .covisit, 11: .covisit, 20: .interest, 22: [.covisit, .interest]])
        let x = RerankFeatures.matrix([ProductSignals(productID: 20, cosine: 0, sources: .interest)], context: c)
        XCTAssertEqual(x[RerankFeatures.names.firstIndex(of: "source_covisit")!], 1, "per-interest neighbours are co-visitation candidates")
        let both = sources(CandidateSettings(similar: 0, repeat: 0, covisit: 0, interests: 2, perInterest: 2, popular: 0))
        XCTAssertEqual(Set(both.keys), [10, 11, 20, 21, 22])
    }

    /// EASE neighbours: the candidates are the best by EASE's own score of the history (the sum of its distinct
    /// products' weights, however often each was touched), features carry that score and its recency-weighted spread.
    func testEASECandidatesAndFeatures() {
        let history = [HistoryItem(productID: 1, weight: 1, ageSeconds: 0), HistoryItem(productID: 1, weight: 1, ageSeconds: 0),
                       HistoryItem(productID: 2, weight: 1, ageSeconds: 86_400)]
        let c = RerankContext(history: history, covisit: [:], bought: [:],
                              ease: [1: [Neighbor(productID: 10, score: 0.2), Neighbor(productID: 11, score: 0.1)],
                                     2: [Neighbor(productID: 11, score: 0.15), Neighbor(productID: 12, score: 0.05)]])
        XCTAssertEqual(c.neighbors[11]?.ease ?? 0, 0.25, accuracy: 1e-6)
        XCTAssertEqual(c.neighbors[10]?.ease, 0.2)
        let merged = RerankCandidates.merge(similar: [], history: history, context: c, trending: [], popular: [],
                                            settings: CandidateSettings(similar: 0, repeat: 0, covisit: 0, ease: 2, interests: 0, popular: 0))
        XCTAssertEqual(merged.map(\.productID), [10, 11])
        XCTAssertEqual(merged.map(\.sources), [.ease, .ease])
        let x = RerankFeatures.matrix([ProductSignals(productID: 11, cosine: 0, sources: .ease)], context: c)
        func v(_ name: String) -> Float { x[RerankFeatures.names.firstIndex(of: name)!] }
        let d1: Float = 2, d2: Float = 0.5  // decayed weights of products 1 and 2 (a day's half-life)
        XCTAssertEqual(v("ease"), 0.25, accuracy: 1e-6)
        XCTAssertEqual(v("ease_decayed"), (d1 * 0.1 + d2 * 0.15) / (d1 + d2), accuracy: 1e-6)
        XCTAssertEqual(v("source_ease"), 1)
        XCTAssertEqual(v("source_covisit"), 0)
        let perInterest = RerankCandidates.merge(similar: [], history: history, context: c, trending: [], popular: [],
                                                 settings: CandidateSettings(similar: 0, repeat: 0, covisit: 0, ease: 0, interests: 1, perInterest: 1, popular: 0))
        XCTAssertEqual(perInterest.map(\.productID), [10], "the most recent product's best EASE neighbour")
    }

    /// Parameters published before the per-interest sources keep their candidates (none per interest).
    func testSettingsWithoutPerInterestCountsDecodeWithNone() throws {
        let old = #"{"similar": 7, "repeat": 6, "covisit": 5, "popular": 4, "rerank": 3}"#
        let s = try JSONDecoder().decode(CandidateSettings.self, from: Data(old.utf8))
        XCTAssertEqual(s, CandidateSettings(similar: 7, repeat: 6, covisit: 5, ease: 0, interests: 0, perInterest: 0, popular: 4, rerank: 3))
        let now = CandidateSettings()
        XCTAssertEqual(try JSONDecoder().decode(CandidateSettings.self, from: try JSONEncoder().encode(now)), now)
    }

    func testOrderIsScoreThenIdAndParametersRoundTrip() throws {
        var p = RerankParameters(version: "rerank-test", hidden: 2)
        p.linear[RerankFeatures.names.firstIndex(of: "cosine")!] = 1
        p.hiddenWeights[0] = 0.5
        p.output = [0.25, 0]
        let candidates = [ProductSignals(productID: 5, cosine: 0.1, sources: .similar),
                          ProductSignals(productID: 4, cosine: 0.1, sources: .similar),
                          ProductSignals(productID: 6, cosine: 0.9, sources: .similar)]
        XCTAssertEqual(Reranker.order(candidates, context: context(), parameters: p), [6, 4, 5])
        let x = RerankFeatures.matrix([candidates[2]], context: context())
        XCTAssertEqual(p.scores(x)[0], 0.9 + 0.25 * tanh(0.45), accuracy: 1e-6)
        let back = try RerankParameters.decode(json: try p.json())
        XCTAssertEqual(back, p)
    }

    /// Cuts among many neighbours with tied scores keep the lowest ids; a history of zero weight brings no co-visitation
    /// candidates (its recency-weighted scores are undefined) but still its EASE ones.
    func testCandidateCutsBreakTiesByIdAndZeroWeightKeepsEASE() {
        // 60 covisit neighbours of product 1 on five score levels, the best (0.5) shared by 100, 105, …, 155.
        let covisit = (0..<60).reversed().map { (i: Int) in Neighbor(productID: Int64(100 + i), score: Float(5 - i % 5) / 10) }
        let bought = [Neighbor(productID: 100, score: 0.4), Neighbor(productID: 101, score: 0.3)]
        let ease = (0..<20).map { (i: Int) in Neighbor(productID: Int64(319 - i), score: i >= 16 ? 0.2 : 0.1) }
        let settings = CandidateSettings(similar: 0, repeat: 0, covisit: 7, ease: 3, interests: 0, popular: 0)
        func merged(weight: Float) -> [(productID: Int64, sources: CandidateSources)] {
            let history = [HistoryItem(productID: 1, weight: weight, ageSeconds: 0)]
            let c = RerankContext(history: history, covisit: [1: covisit], bought: [1: bought], ease: [1: ease])
            return RerankCandidates.merge(similar: [], history: history, context: c, trending: [], popular: [], settings: settings)
        }
        let m = merged(weight: 1)
        XCTAssertEqual(m.map(\.productID), [100, 101, 105, 110, 115, 120, 125, 130, 300, 301, 302])
        XCTAssertEqual(m.map(\.sources), Array(repeating: .covisit, count: 8) + Array(repeating: .ease, count: 3))
        let zero = merged(weight: 0)
        XCTAssertEqual(zero.map(\.productID), [300, 301, 302])
        XCTAssertEqual(zero.map(\.sources), [.ease, .ease, .ease])
    }

    /// The neighbour features of a product listed by several kinds, and of a history of zero weight.
    func testNeighbourFeaturesOfSeveralKinds() {
        let lists: [Int64: [Neighbor]] = [1: [Neighbor(productID: 10, score: 0.5)], 2: [Neighbor(productID: 10, score: 0.25)]]
        let bought: [Int64: [Neighbor]] = [2: [Neighbor(productID: 10, score: 0.75)]]
        func row(_ weights: [Float]) -> [String: Float] {
            let history = [HistoryItem(productID: 1, weight: weights[0], ageSeconds: 0), HistoryItem(productID: 2, weight: weights[1], ageSeconds: 86_400)]
            let c = RerankContext(history: history, covisit: lists, bought: bought, ease: lists)
            let x = RerankFeatures.matrix([ProductSignals(productID: 10, cosine: 0, categories: ["a", "a"], sources: .covisit)], context: c)
            return Dictionary(uniqueKeysWithValues: zip(RerankFeatures.names, x))
        }
        let v = row([1, 2])  // decayed weights 1 and 1 (a day old, half-life a day)
        XCTAssertEqual(v["covisit"]!, (0.5 + 0.25) / 2, accuracy: 1e-6)
        XCTAssertEqual(v["bought"]!, 0.75 / 2, accuracy: 1e-6)
        XCTAssertEqual(v["covisit_max"], 0.5)
        XCTAssertEqual(v["covisit_hits"]!, log1p(2), accuracy: 1e-6)
        XCTAssertEqual(v["covisit_last"], 0.5)
        XCTAssertEqual(v["ease"], 0.75)
        XCTAssertEqual(v["ease_decayed"]!, (0.5 + 0.25) / 2, accuracy: 1e-6)
        XCTAssertEqual(v["recency_rank"], 0)
        let zero = row([0, 0])
        for name in ["covisit", "covisit_7d", "bought", "ease_decayed", "category_affinity"] { XCTAssertEqual(zero[name], 0, name) }
        XCTAssertEqual(zero["covisit_hits"]!, log1p(2), accuracy: 1e-6)
        XCTAssertEqual(zero["ease"], 0.75)
    }

    /// Many rows through the hidden layer: each row's score, and the order by score then ascending id.
    func testScoresAndOrderOfManyRows() {
        var p = RerankParameters(version: "v", hidden: 1)
        let cosine = RerankFeatures.names.firstIndex(of: "cosine")!
        p.linear[cosine] = 1
        p.hiddenWeights[cosine] = 0.5
        p.output = [0.25]
        // Ids 100 down to 71 on three cosine levels.
        let candidates = (0..<30).map { (i: Int) in ProductSignals(productID: Int64(100 - i), cosine: Float(i % 3) / 2, sources: .similar) }
        let context = RerankContext(history: [], covisit: [:], bought: [:])
        let scores = p.scores(RerankFeatures.matrix(candidates, context: context))
        for (s, c) in zip(scores, candidates) { XCTAssertEqual(s, c.cosine + 0.25 * tanh(0.5 * c.cosine), accuracy: 1e-6) }
        let expected: [Int64] = (71...73).flatMap { Array(stride(from: $0, through: $0 + 27, by: 3)) }
        XCTAssertEqual(Reranker.order(candidates, context: context, parameters: p), expected, "cosine 1, then 0.5, then 0")
    }

    func testLoadRejectsWrongShapesAndFeatures() throws {
        var p = RerankParameters(version: "v")
        p.linear.removeLast()
        XCTAssertThrowsError(try RerankParameters.decode(json: try p.json()))
        var q = RerankParameters(version: "v")
        q.featureNames[0] = "something_else"
        XCTAssertThrowsError(try RerankParameters.decode(json: try q.json())) { error in
            guard case RerankError.featureMismatch = error else { return XCTFail("\(error)") }
        }
        var r = RerankParameters(version: "v")
        r.format = "tower-rerank-v0"
        XCTAssertThrowsError(try RerankParameters.decode(json: try r.json()))
    }

    func testTrendingWindows() {
        let day = 86_400.0
        let rows = Trending.rows(of: [(1, 2, 10 * day), (1, 1, 10 * day - 2 * day), (1, 5, 10 * day - 31 * day), (2, 3, 10 * day - 0.5 * day)],
                                 anchor: 10 * day)
        XCTAssertEqual(rows[1], TrendingRow(weight1d: 2, weight7d: 3, weight30d: 3))
        XCTAssertEqual(rows[2]!.trendScore, 3 - 3.0 / 30, accuracy: 1e-6)
    }
}
