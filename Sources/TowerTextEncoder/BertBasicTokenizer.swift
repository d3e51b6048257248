import Foundation

/// The text clean-up and word splitting of BERT's uncased tokenizer (Hugging Face `BertNormalizer`
/// with lowercase + accent stripping, then `BertPreTokenizer`), on Unicode scalars:
///
/// 1. clean: drop NUL, U+FFFD and every "other" character (categories Cc, Cf, Co, Cs, Cn, such as
///    the zero-width space) except tab, newline and carriage return; map whitespace to a space;
/// 2. put spaces around CJK ideographs, so each becomes its own word;
/// 3. strip accents: Unicode NFD, then drop non-spacing marks (Mn);
/// 4. lowercase each scalar (full, context-free Unicode mapping);
/// 5. split on whitespace, and isolate each punctuation character (ASCII punctuation, which
///    includes `$+<=>^`|~`, and Unicode categories P*; symbols such as `®` or emoji are not punctuation).
public enum BertBasicTokenizer {
    /// The words of `text`, ready for WordPiece.
    public static func words(_ text: String) -> [String] { words(Array(text.unicodeScalars)) }

    /// The words of a scalar sequence.
    static func words(_ scalars: [Unicode.Scalar]) -> [String] { split(normalize(scalars)) }

    /// Steps 1–4: clean-up, CJK spacing, accent stripping and lowercasing.
    static func normalize(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(input.count + 8)
        var ascii = true
        for s in input {
            if s.value == 0 || s.value == 0xFFFD || isOther(s) { continue }
            if isWhitespace(s) { cleaned.append(" "); continue }
            if isCJK(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
            if !s.isASCII { ascii = false }
        }
        if ascii { return cleaned.map { (0x41...0x5A).contains($0.value) ? Unicode.Scalar($0.value + 32)! : $0 } }
        let decomposed = String(String.UnicodeScalarView(cleaned)).decomposedStringWithCanonicalMapping
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(cleaned.count)
        for s in decomposed.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
            out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
        }
        return out
    }

    /// Step 5: whitespace split with punctuation isolated.
    static func split(_ scalars: [Unicode.Scalar]) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for s in scalars {
            if isWhitespace(s) {
                flush()
            } else if isPunctuation(s) {
                flush()
                words.append(String(s))
            } else {
                current.append(s)
            }
        }
        flush()
        return words
    }

    /// Tab, newline and carriage return count as whitespace, not as control characters.
    static func isOther(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: break
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT treats as single-character words (not Hangul or kana).
    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
