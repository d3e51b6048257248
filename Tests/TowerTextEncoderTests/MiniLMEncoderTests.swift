import Foundation
import TowerMath
@testable import TowerTextEncoder
import XCTest

final class MiniLMEncoderTests: XCTestCase {
    func testMatchesEveryReferenceEmbedding() throws {
        let encoder = try EncoderFixture.encoder()
        let items = try EncoderFixture.references()
        let vectors = encoder.embed(items.map(\.text))
        for (item, v) in zip(items, vectors) {
            XCTAssertEqual(v.count, 384)
            XCTAssertEqual(BLAS.norm(v), 1, accuracy: 1e-5)
            XCTAssertGreaterThanOrEqual(VectorOps.cosine(v, item.embedding), 0.9999, "item \(item.id): \(item.text.prefix(40))")
        }
    }

    func testHelloWorldMatchesFastembedCanonicalValues() throws {
        let v = try EncoderFixture.encoder().embed(["hello world"])[0]
        for (got, want) in zip(v.prefix(5), [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362] as [Float]) {
            XCTAssertEqual(got, want, accuracy: 1e-3)
        }
    }

    func testEmptyTextGivesAUnitVectorNotZeros() throws {
        // [CLS] [SEP] only: the normalised mean of their two states (reference item 41 checks the values).
        let v = try EncoderFixture.encoder().embed([""])[0]
        XCTAssertEqual(BLAS.norm(v), 1, accuracy: 1e-5)
    }

    func testBatchingPaddingAndThreadsDoNotChangeResults() throws {
        let encoder = try EncoderFixture.encoder()
        let texts = ["a", "Nike Air Max | by Nike | Shoes | Sneakers | Running | Blue color | premium",
                     "", "short one", String(repeating: "long text ", count: 40)]
        let singles = texts.map { encoder.embed([$0])[0] }
        let batched = encoder.embed(texts)
        var threaded: [[Float]] = []
        try encoder.embed(batches: [Array(texts[0..<2]), [texts[2]], Array(texts[3...])], threads: 2) { _, vectors in threaded += vectors }
        for i in texts.indices {
            XCTAssertGreaterThan(VectorOps.cosine(singles[i], batched[i]), 0.99999, "text \(i)")
            XCTAssertGreaterThan(VectorOps.cosine(singles[i], threaded[i]), 0.99999, "text \(i)")
        }
        XCTAssertLessThan(VectorOps.cosine(batched[0], batched[1]), 0.9)
    }

    func testMissingFolderNamesTheSetupCommand() {
        XCTAssertThrowsError(try MiniLMEncoder(directory: "/nonexistent/minilm")) { error in
            XCTAssertTrue("\(error)".contains("deploy/local.sh models"), "\(error)")
            XCTAssertTrue("\(error)".contains("/nonexistent/minilm"), "\(error)")
        }
    }
}
