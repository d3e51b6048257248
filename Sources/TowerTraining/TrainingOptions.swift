/// Hyperparameters of `tower train`. The defaults are the measured defaults documented in docs/model.md.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var heads = 4
    /// Query and key width over all heads.
    public var attentionDimension = 128
    /// Upper bound on epochs; early stopping usually ends sooner.
    public var maxEpochs = 20
    /// Epochs without a better validation Recall@20 before stopping.
    public var patience = 2
    public var batchSize = 256
    /// Consecutive target events of one customer that travel together (their histories share rows).
    public var chunkSize = 16
    public var learningRate: Float = 1e-3
    /// Learning rate of the per-product residuals (item side).
    public var itemLearningRate: Float = 1e-2
    public var temperature: Float = 0.05
    public var negatives: NegativeSampling = .inBatch
    /// Negatives per sample with `negatives == .random`.
    public var randomNegatives = 10
    /// Learn a residual per product on top of its text vector.
    public var trainItems = true
    /// The most recent share of training samples (log order) held out for early stopping.
    public var validationFraction = 0.1
    /// At most this many validation samples are ranked against the whole catalog per epoch.
    public var maxValidationSamples = 5_000
    public var seed: UInt64 = 42
    /// Each batch is cut into this many parts whose forward and backward passes run in parallel, one thread
    /// each (with single-threaded OpenBLAS). The result depends on it only through floating-point summation order.
    public var threads = 1
    /// Stop after this many seconds (nil: no limit); the best epoch so far is kept.
    public var timeLimitSeconds: Double? = nil

    public init() {}

    /// Why these options cannot train, or nil.
    public var problem: String? {
        if maxEpochs < 1 { return "epochs must be at least 1" }
        if batchSize < 2 { return "batch size must be at least 2" }
        if chunkSize < 1 { return "chunk size must be at least 1" }
        if threads < 1 { return "threads must be at least 1" }
        if !(learningRate > 0) || !(itemLearningRate >= 0) { return "learning rates must be positive (the item rate may be 0)" }
        if !(temperature > 0) { return "temperature must be positive" }
        if randomNegatives < 1 { return "random negatives must be at least 1" }
        if !(validationFraction > 0 && validationFraction < 1) { return "validation fraction must be between 0 and 1" }
        return nil
    }
}
