import Foundation
import TowerMath

/// One fault the chaos run injects.
enum ChaosFault: CustomStringConvertible {
    /// `kill -9` of one daemon (chosen at random), then a new one in its place.
    case kill
    /// PostgreSQL stopped (fast shutdown: sessions cut) and started again at once.
    case postgresRestart
    /// PostgreSQL stopped for this many seconds.
    case databaseOutage(seconds: Double)
    /// The queue server frozen (SIGSTOP) for this many seconds, then resumed (SIGCONT).
    case queueOutage(seconds: Double)

    var description: String {
        switch self {
        case .kill: return "kill -9"
        case .postgresRestart: return "PostgreSQL restart"
        case .databaseOutage(let s): return "PostgreSQL outage of \(Int(s)) s"
        case .queueOutage(let s): return "queue-server outage of \(Int(s)) s"
        }
    }

    /// The faults of a run, each at a seeded moment: the fraction of all messages sent when it starts
    /// (between 3% and 90%, so every fault hits a moving stream), in order.
    static func schedule(kills: Int, postgresRestarts: Int, databaseOutage: Double, queueOutage: Double,
                         seed: UInt64) -> [(at: Double, fault: ChaosFault)] {
        var faults = Array(repeating: ChaosFault.kill, count: kills) + Array(repeating: .postgresRestart, count: postgresRestarts)
        if databaseOutage > 0 { faults.append(.databaseOutage(seconds: databaseOutage)) }
        if queueOutage > 0 { faults.append(.queueOutage(seconds: queueOutage)) }
        var rng = SplitMix64(seed: seed ^ 0xFA17)
        faults.shuffle(using: &rng)
        let moments = faults.map { _ in 0.03 + 0.87 * Double(rng.next() >> 11) * 0x1p-53 }.sorted()
        return Array(zip(moments, faults)).map { (at: $0.0, fault: $0.1) }
    }
}

/// Carries out faults against the local servers: PostgreSQL through `deploy/local.sh stop-postgres` /
/// `start-postgres`, the queue server by signals to its pid, daemons through `BenchDaemons`.
struct ChaosInjector {
    let localScript: String
    let queueServerPID: Int32
    let daemons: BenchDaemons
    let producer: BenchProducer

    /// Carries out `fault`; `rng` picks the daemon and the moment within a batch.
    func inject(_ fault: ChaosFault, rng: inout SplitMix64) throws {
        switch fault {
        case .kill:
            // A random delay inside the typical batch time, so kills land before, inside and after commits.
            Thread.sleep(forTimeInterval: Double(rng.next() % 250) / 1000)
            try daemons.killAndRestart(rng.nextIndex(daemons.count))
        case .postgresRestart:
            try local("stop-postgres")
            try local("start-postgres")
        case .databaseOutage(let seconds):
            try local("stop-postgres")
            Thread.sleep(forTimeInterval: seconds)
            try local("start-postgres")
        case .queueOutage(let seconds):
            // ministack keeps its queues in memory only (PERSIST_STATE saves them at a clean shutdown, never on a
            // crash), so a restart would lose every message: the outage freezes the process instead. Clients then
            // see what a queue outage looks like (connections that never answer, then timeouts) and no state is
            // lost. The producer pauses first: a send that timed out and was retried could enqueue a message twice.
            producer.pause()
            defer { producer.resume() }
            guard kill(queueServerPID, SIGSTOP) == 0 else {
                throw BenchError.setup("cannot stop the queue server (pid \(queueServerPID)): \(String(cString: strerror(errno)))")
            }
            Thread.sleep(forTimeInterval: seconds)
            kill(queueServerPID, SIGCONT)
        }
    }

    private func local(_ verb: String) throws {
        // Its stderr goes to a file, not a pipe: the server it starts must not hold a pipe of ours open.
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("tower-chaos-\(getpid())-\(verb).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [localScript, verb]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: errors)
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw BenchError.setup("\(localScript) \(verb) exited with \(p.terminationStatus) (\(text.suffix(500))): "
                                   + "are TOWER_LOCAL_PG_PORT/TOWER_LOCAL_SQS_PORT those of these servers?")
        }
    }
}
