@testable import TowerTextEncoder
import XCTest

final class WordPieceTokenizerTests: XCTestCase {
    // MARK: Algorithm, on a tiny vocabulary (no weights needed).

    private func tiny(maxLength: Int = 256) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "##a",
                                        "aff", "able", ",", "run", "##ning", "é"], maxLength: maxLength)
    }

    func testGreedyLongestMatchWithContinuations() throws {
        let t = try tiny()
        // unaffable → un ##aff ##able; "running" → run ##ning; "," isolated.
        XCTAssertEqual(t.encode("unaffable, running"), [2, 5, 6, 7, 11, 12, 13, 3])
        // Longest match first: "affa" → aff ##a (not a shorter first piece).
        XCTAssertEqual(t.encode("affa"), [2, 9, 8, 3])
    }

    func testAWordThatCannotBeFullyMatchedIsOneUnknown() throws {
        let t = try tiny()
        // "unaffx": un ##aff then no piece for "x" → the whole word is [UNK], other words unaffected.
        XCTAssertEqual(t.encode("unaffx able"), [2, 1, 10, 3])
    }

    func testTruncationKeepsSeparator() throws {
        let t = try tiny(maxLength: 5)
        XCTAssertEqual(t.encode("able able able able"), [2, 10, 10, 10, 3])
        XCTAssertEqual(t.encode(""), [2, 3])
    }

    func testVocabularyMatchingIsByteExactNotCanonicalEquivalence() throws {
        // "하" (U+D558) decomposes to the jamo U+1112 U+1161 in NFD; the reference tokenizer compares
        // bytes, so the precomposed vocabulary entry does not match, the jamo entries do.
        let precomposed = try WordPieceTokenizer(tokens: ["[CLS]", "[SEP]", "[UNK]", "\u{D558}"])
        XCTAssertEqual(precomposed.encode("\u{D558}"), [0, 2, 1])
        let jamo = try WordPieceTokenizer(tokens: ["[CLS]", "[SEP]", "[UNK]", "\u{D558}", "\u{1112}", "##\u{1161}"])
        XCTAssertEqual(jamo.encode("\u{D558}"), [0, 4, 5, 1])
    }

    func testRejectsVocabularyWithoutSpecialTokens() {
        XCTAssertThrowsError(try WordPieceTokenizer(tokens: ["a", "b"]))
    }

    func testBasicTokenizerSplitsAndNormalises() {
        XCTAssertEqual(BertBasicTokenizer.words("  Héllo,WORLD!  \u{200B}x"), ["hello", ",", "world", "!", "x"])
        XCTAssertEqual(BertBasicTokenizer.words("价格®"), ["价", "格", "®"])
        XCTAssertEqual(BertBasicTokenizer.words("$5+tax"), ["$", "5", "+", "tax"])
    }

    // MARK: Real vocabulary against the reference tokenizer.

    func testMatchesReferenceTokenizerOnHardCases() throws {
        let t = try EncoderFixture.encoder().tokenizer
        for c in WordPieceReferenceCases.all {
            XCTAssertEqual(t.encode(c.text), c.ids, c.name)
        }
    }

    func testMatchesPublicReferenceTokenIDs() throws {
        let t = try EncoderFixture.encoder().tokenizer
        var checked = 0
        for item in try EncoderFixture.references() {
            let ids = t.encode(item.text)
            XCTAssertEqual(ids.count, item.num_tokens, "item \(item.id)")
            if let expected = item.token_ids {
                XCTAssertEqual(ids, expected, "item \(item.id)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 5)
    }
}
