import ArgumentParser
import TowerRerank

/// `--candidates similar=100,repeat=50,…`: candidate counts of the two-stage ranking (`CandidateSettings`);
/// names not given keep their defaults.
public struct CandidateOption: ExpressibleByArgument {
    public static let keys = ["similar", "repeat", "covisit", "ease", "interests", "per-interest", "popular", "rerank"]
    public var settings = CandidateSettings()

    public init?(argument: String) {
        for part in argument.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let n = Int(kv[1]), n >= 0 else { return nil }
            switch kv[0] {
            case "similar": settings.similar = n
            case "repeat": settings.repeat = n
            case "covisit": settings.covisit = n
            case "ease": settings.ease = n
            case "interests": settings.interests = n
            case "per-interest": settings.perInterest = n
            case "popular": settings.popular = n
            case "rerank": settings.rerank = n
            default: return nil
            }
        }
    }

    public static var help: ArgumentHelp {
        let d = CandidateSettings()
        return ArgumentHelp("Candidate counts, comma-separated name=count of \(keys.joined(separator: ", ")) (default similar=\(d.similar),"
                            + "repeat=\(d.repeat),covisit=\(d.covisit),ease=\(d.ease),interests=\(d.interests),per-interest=\(d.perInterest),"
                            + "popular=\(d.popular),rerank=\(d.rerank)).")
    }
}
