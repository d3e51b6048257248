import Foundation

/// BERT uncased WordPiece tokenization, as the all-MiniLM-L6-v2 tokenizer does it.
///
/// Special tokens written literally in the text (`[CLS]`, `[SEP]`, `[UNK]`, `[PAD]`, `[MASK]`) are
/// kept as those tokens; the rest goes through `BertBasicTokenizer`, then each word is split by
/// greedy longest-match-first into vocabulary pieces (continuations prefixed `##`). A word that
/// cannot be covered completely, or is longer than 100 characters, becomes one `[UNK]`. The output
/// is `[CLS] pieces… [SEP]`, truncated to `maxLength` ids in total with `[SEP]` kept.
public struct WordPieceTokenizer: Sendable {
    /// The model's maximum sequence length (sentence-transformers' `max_seq_length`), special tokens included.
    public static let defaultMaxLength = 256
    /// Words longer than this many characters (Unicode scalars) become `[UNK]`.
    public static let maxWordLength = 100
    static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    public let maxLength: Int
    public let vocabularySize: Int
    public let clsID: Int32
    public let sepID: Int32
    public let unkID: Int32
    /// Ids by the token's UTF-8 bytes: byte-exact matching, as the reference tokenizer does
    /// (Swift `String` equality would also match canonically equivalent spellings).
    private let ids: [[UInt8]: Int32]
    /// The longest vocabulary entry, in scalars (bounds the longest-match search).
    private let longestPiece: Int

    /// Loads `vocab.txt` (one token per line, id = line number).
    public init(vocabularyFile path: String, maxLength: Int = defaultMaxLength) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw TextEncoderError.missingWeights(path: path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextEncoderError.invalidVocabulary(path: path, reason: "not UTF-8 text")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        try self.init(tokens: lines, maxLength: maxLength, source: path)
    }

    /// A tokenizer over an in-memory vocabulary (`tokens[i]` has id `i`).
    public init(tokens: [String], maxLength: Int = defaultMaxLength, source: String = "vocabulary") throws {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[Array(t.utf8)] == nil { ids[Array(t.utf8)] = Int32(i) }
        guard let cls = ids[Array("[CLS]".utf8)], let sep = ids[Array("[SEP]".utf8)], let unk = ids[Array("[UNK]".utf8)] else {
            throw TextEncoderError.invalidVocabulary(path: source, reason: "[CLS], [SEP] or [UNK] is missing")
        }
        self.ids = ids
        self.maxLength = maxLength
        self.vocabularySize = tokens.count
        self.clsID = cls
        self.sepID = sep
        self.unkID = unk
        self.longestPiece = tokens.map { $0.unicodeScalars.count }.max() ?? 1
    }

    /// The token ids of `text`: `[CLS]`, the word pieces (truncated), `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = [clsID]
        for segment in Self.splitSpecialTokens(text) {
            if out.count >= maxLength - 1 { break }
            if let special = segment.special {
                out.append(ids[Array(special.utf8)] ?? unkID)
            } else {
                for word in BertBasicTokenizer.words(segment.text) {
                    appendPieces(of: word, to: &out)
                    if out.count >= maxLength - 1 { break }
                }
            }
        }
        if out.count > maxLength - 1 { out.removeLast(out.count - (maxLength - 1)) }
        out.append(sepID)
        return out
    }

    /// Greedy longest-match-first WordPiece of one word.
    func appendPieces(of word: String, to out: inout [Int32]) {
        let bytes = Array(word.utf8)
        // Byte offset of each scalar boundary: pieces are cut between scalars.
        var boundaries = [0]
        for scalar in word.unicodeScalars { boundaries.append(boundaries.last! + UTF8.width(scalar)) }
        let count = boundaries.count - 1
        if count > Self.maxWordLength { out.append(unkID); return }
        var pieces: [Int32] = []
        var start = 0
        while start < count {
            var end = min(count, start + longestPiece)
            var found: Int32?
            while start < end {
                let piece = bytes[boundaries[start]..<boundaries[end]]
                if let id = ids[start == 0 ? Array(piece) : Self.continuation + piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { out.append(unkID); return }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }

    private static let continuation = Array("##".utf8)

    /// The text cut at literal special tokens (matched case-sensitively on the raw scalars, before
    /// any normalisation): each segment is either a special token or plain text.
    static func splitSpecialTokens(_ text: String) -> [(special: String?, text: [Unicode.Scalar])] {
        let scalars = Array(text.unicodeScalars)
        var segments: [(special: String?, text: [Unicode.Scalar])] = []
        var plainStart = 0, i = 0
        while i < scalars.count {
            if scalars[i] == "[", let special = specialScalars.first(where: { scalars[i...].starts(with: $0) }) {
                if plainStart < i { segments.append((nil, Array(scalars[plainStart..<i]))) }
                segments.append((String(String.UnicodeScalarView(special)), []))
                i += special.count
                plainStart = i
            } else {
                i += 1
            }
        }
        if plainStart < scalars.count { segments.append((nil, Array(scalars[plainStart...]))) }
        return segments
    }

    private static let specialScalars = specialTokens.map { Array($0.unicodeScalars) }
}
