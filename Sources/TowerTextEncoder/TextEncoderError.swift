import TowerModel
/// A problem loading or running the MiniLM text encoder, with what to do about it.
public enum TextEncoderError: Error, CustomStringConvertible, Equatable {
    /// The weights folder or one of its files does not exist.
    case missingWeights(path: String)
    /// `vocab.txt` cannot be used.
    case invalidVocabulary(path: String, reason: String)
    /// `model.safetensors` cannot be used.
    case invalidWeights(SafeTensorsError)

    public var description: String {
        switch self {
        case .missingWeights(let path):
            return "MiniLM weights not found at \(path): run `deploy/local.sh models` (or `deploy/local.sh up`) to fetch them, "
                + "or set TOWER_ENCODER_DIR to the folder holding model.safetensors and vocab.txt"
        case .invalidVocabulary(let path, let reason):
            return "\(path) is not the MiniLM vocabulary (\(reason)): delete the folder and run `deploy/local.sh models` again"
        case .invalidWeights(let error):
            return "\(error) (delete the folder and run `deploy/local.sh models` again)"
        }
    }
}
