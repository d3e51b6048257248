import Foundation

/// Runs `transform` over a stream of inputs on `threads` worker threads, each taking whole inputs,
/// and hands the results to the calling thread in the stream's order while later inputs are still
/// being transformed. At most `2 × threads` results wait for delivery, so memory stays bounded
/// whatever the stream's length.
///
/// This is how the encoder uses both cores on a stream of batches: every batch stays one large
/// GEMM stream on one core (no per-batch barrier between threads), and the caller's work on a
/// finished batch (a database write, printing) overlaps with encoding the next ones.
final class OrderedPipeline<Input, Output>: @unchecked Sendable {
    /// Guards `inputs`; taken before `condition` when both are needed.
    private let inputLock = NSLock()
    private var inputs: AnyIterator<Input>
    // Every field below is read and written under `condition` only.
    private let condition = NSCondition()
    private let transform: (Input) -> Output
    private let window: Int
    /// Index the next input taken from the stream gets.
    private var taken = 0
    /// Results handed to the caller so far.
    private var delivered = 0
    private var finished: [Int: (Input, Output)] = [:]
    private var exhausted = false
    private var cancelled = false
    private var running = 0

    private init(inputs: AnyIterator<Input>, threads: Int, transform: @escaping (Input) -> Output) {
        self.inputs = inputs
        self.transform = transform
        window = 2 * threads
    }

    /// Transforms every element of `inputs` on `threads` threads and calls `deliver` with each input and
    /// its result on the calling thread, in order. When `deliver` throws, the workers stop taking inputs,
    /// the call waits for them and rethrows.
    static func run<S: Sequence>(_ inputs: S, threads: Int, transform: @escaping (Input) -> Output,
                                 deliver: (Input, Output) throws -> Void) throws where S.Element == Input {
        let pipeline = OrderedPipeline(inputs: AnyIterator(inputs.makeIterator()), threads: max(1, threads), transform: transform)
        try pipeline.start(threads: max(1, threads), deliver: deliver)
    }

    private func start(threads: Int, deliver: (Input, Output) throws -> Void) throws {
        running = threads
        for i in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "encoder-\(i)"
            thread.start()
        }
        do {
            while let (input, output) = next() { try deliver(input, output) }
        } catch {
            condition.withLock { cancelled = true; condition.broadcast() }
            waitForWorkers()
            throw error
        }
        waitForWorkers()
    }

    /// The next result in order, or nil when the stream is exhausted and everything was delivered.
    private func next() -> (Input, Output)? {
        condition.withLock {
            while finished[delivered] == nil && !(exhausted && delivered == taken) { condition.wait() }
            guard let result = finished.removeValue(forKey: delivered) else { return nil }
            delivered += 1
            condition.broadcast()
            return result
        }
    }

    private func work() {
        while let (index, input) = take() {
            let output = transform(input)
            condition.withLock {
                finished[index] = (input, output)
                condition.broadcast()
            }
        }
        condition.withLock {
            running -= 1
            condition.broadcast()
        }
    }

    /// The next input and its index, waiting while `window` results are ahead of delivery; nil at the end.
    /// The stream is read under its own lock, so a slow stream (standard input) never holds up delivery.
    private func take() -> (Int, Input)? {
        let proceed = condition.withLock {
            while !cancelled && !exhausted && taken - delivered >= window { condition.wait() }
            return !cancelled && !exhausted
        }
        guard proceed else { return nil }
        return inputLock.withLock {
            guard !condition.withLock({ exhausted }), let input = inputs.next() else {
                condition.withLock { exhausted = true; condition.broadcast() }
                return nil
            }
            // Indices are assigned under `inputLock`, so they follow the stream's order.
            return condition.withLock {
                defer { taken += 1 }
                return (taken, input)
            }
        }
    }

    private func waitForWorkers() {
        condition.withLock { while running > 0 { condition.wait() } }
    }
}
