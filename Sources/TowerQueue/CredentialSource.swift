import Foundation
import TowerConfig

/// What the background refresh reports (for logs): never a secret.
public enum CredentialRefreshEvent: Sendable {
    case refreshed(provider: String, expiration: Date?)
    /// The refresh failed; the old credentials stay in use until they expire. `retryIn` is the backoff in seconds.
    case failed(provider: String, error: CredentialError, retryIn: Double, expired: Bool)
}

/// The credentials every queue client of a process signs with: resolved once from the chain, then, when they
/// are temporary, refreshed ahead of expiry (by default 5 minutes, minus up to a minute of jitter) on a thread of
/// its own, so a batch never waits for STS or instance metadata. A failed refresh keeps the old credentials until
/// they expire and retries with backoff (1 s doubling to 60 s).
///
/// Thread-safe: the state is guarded by a lock.
public final class CredentialSource: @unchecked Sendable, CustomStringConvertible {
    /// The provider that supplied the credentials.
    public let provider: any CredentialProvider
    /// How long before expiry a refresh starts, and up to how much earlier at random (so that many daemons
    /// do not refresh at the same moment).
    public let refreshAhead: Double, refreshJitter: Double
    /// Called from the refresh thread (and `refresh(replacing:)`) after each attempt. Set before credentials expire.
    public var observer: (@Sendable (CredentialRefreshEvent) -> Void)? {
        get { lock.withLock { _observer } }
        set { lock.withLock { _observer = newValue } }
    }

    private let lock = NSLock()
    private let refreshing = NSLock()
    private var _current: AWSCredentials
    private var _observer: (@Sendable (CredentialRefreshEvent) -> Void)?
    private var _refreshes = 0

    /// Fixed credentials (no provider to refresh from but themselves).
    public convenience init(_ credentials: AWSCredentials) {
        self.init(provider: FixedCredentials(credentials: credentials, name: "fixed keys"), credentials: credentials)
    }

    /// Credentials from the default chain (`CredentialChain.resolve`).
    public convenience init(_ source: ConfigSource, region: String?) throws {
        let (provider, credentials) = try CredentialChain.resolve(source, region: region)
        self.init(provider: provider, credentials: credentials)
    }

    /// `credentials` as `provider` returned them; starts the refresh thread when they expire.
    public init(provider: any CredentialProvider, credentials: AWSCredentials, refreshAhead: Double = 300, refreshJitter: Double = 60) {
        self.provider = provider
        self.refreshAhead = refreshAhead
        self.refreshJitter = refreshJitter
        _current = credentials
        if credentials.expiration != nil {
            let thread = Thread { [weak self] in Self.refreshLoop(self) }
            thread.name = "tower-credentials"
            thread.start()
        }
    }

    /// The credentials to sign with now.
    public var current: AWSCredentials { lock.withLock { _current } }

    /// How many refreshes succeeded.
    public var refreshes: Int { lock.withLock { _refreshes } }

    /// After the service rejected `stale` as expired: fetches new credentials now, unless another thread already
    /// replaced them. Returns the credentials to retry with.
    /// - Throws: `CredentialError` when the provider fails.
    public func refresh(replacing stale: AWSCredentials) throws -> AWSCredentials {
        refreshing.lock()
        defer { refreshing.unlock() }
        let now = current
        guard now == stale else { return now }
        return try load()
    }

    /// `provider (expires …)`: which provider and when the credentials expire; never a secret.
    public var description: String {
        let expiration = current.expiration.map { "expires \(AWSTime.format($0))" } ?? "long-term keys, no expiry"
        return "credentials from \(provider.name), \(expiration)"
    }

    private func load() throws -> AWSCredentials {
        do {
            let fresh = try provider.load()
            lock.withLock { _current = fresh; _refreshes += 1 }
            observer?(.refreshed(provider: provider.name, expiration: fresh.expiration))
            return fresh
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError.providerFailed(provider: provider.name, detail: "\(error)")
        }
    }

    /// Seconds from now until the refresh of credentials expiring at `expiration` is due: `refreshAhead` plus
    /// `draw × jitter` before expiry, but for credentials that live shorter than that, after half their remaining life.
    static func refreshDelay(expiration: Date, refreshAhead: Double, jitter: Double, now: Date = Date(),
                             draw: Double = Double.random(in: 0..<1)) -> Double {
        let remaining = expiration.timeIntervalSince(now)
        let ahead = remaining - refreshAhead - draw * jitter
        return max(0.5, ahead > 0 ? ahead : remaining / 2)
    }

    private func nextRefresh(_ expiration: Date) -> Double {
        Self.refreshDelay(expiration: expiration, refreshAhead: refreshAhead, jitter: refreshJitter)
    }

    private static func refreshLoop(_ initial: CredentialSource?) {
        guard let initial else { return }
        weak let weakSource = initial
        var failures = 0
        var wait = initial.nextRefresh(initial.current.expiration ?? .distantFuture)
        while true {
            // Wake at least once a minute, so the thread ends soon after its source is released.
            let step = min(wait, 60)
            Thread.sleep(forTimeInterval: step)
            wait -= step
            guard let source = weakSource else { return }
            guard wait <= 0 else { continue }
            do {
                source.refreshing.lock()
                defer { source.refreshing.unlock() }
                let fresh = try source.load()
                failures = 0
                guard let expiration = fresh.expiration else { return }
                wait = source.nextRefresh(expiration)
            } catch {
                failures += 1
                let expiration = source.current.expiration ?? .distantFuture
                wait = min(60, pow(2, Double(min(failures - 1, 6)))) * Double.random(in: 0.8...1.0)
                let failure = (error as? CredentialError) ?? .providerFailed(provider: source.provider.name, detail: "\(error)")
                source.observer?(.failed(provider: source.provider.name, error: failure, retryIn: wait, expired: expiration <= Date()))
            }
        }
    }
}
