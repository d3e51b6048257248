import CCurl
import CCurlShim
import Foundation

/// One reusable libcurl easy handle that sends requests, signed (AWS SigV4 done by libcurl itself) or not,
/// keeping the connection alive between requests.
///
/// Not thread-safe: one thread uses a session at a time. Only `interrupt` may be used from
/// another thread.
final class CurlSession {
    /// The SigV4 scope and key.
    struct Signing {
        var region: String
        var service: String
        var credentials: AWSCredentials
    }

    /// What one completed request returned.
    struct Response {
        var status: Int
        var body: [UInt8]
        /// `x-amzn-query-error` (`Code;Sender`), sent by AWS and some emulators on errors.
        var queryError: String?
        /// `x-amzn-errortype` (`Code` or `Code:uri`), sent by some emulators and AWS JSON services.
        var errorType: String?
    }

    /// A request that did not complete: libcurl's code and its detailed message.
    struct Failure: Error {
        let code: CURLcode
        let detail: String

        /// The response body passed `limit` bytes, so the transfer was stopped.
        static func responseTooLarge(limit: Int) -> Failure {
            Failure(code: CURLE_FILESIZE_EXCEEDED, detail: """
                the response is larger than \(limit) bytes, more than any answer of this service: the endpoint is not \
                the server it should be, or misbehaves; check the endpoint URL
                """)
        }
    }

    /// Raised from any thread to stop an interruptible request in flight.
    let interrupt: InterruptFlag

    /// The default bound on a response body: a ReceiveMessage answer of ten 1 MiB messages (SQS's largest),
    /// JSON-escaped at worst six-fold, with their attributes. A longer answer fails with `Failure.responseTooLarge`.
    static let defaultMaxResponseBytes = 64 << 20

    private let handle: UnsafeMutableRawPointer
    private let collector: Collector
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerLists: [String: HeaderList] = [:]
    private var currentURL: String?
    private var currentMethod = "POST"
    /// What POSTFIELDS points at for an empty body (libcurl needs a non-null pointer to POST).
    private let emptyBody: UnsafeMutablePointer<CChar>

    /// - Parameters:
    ///   - signing: nil for unsigned requests (instance metadata, container credentials, web identity). A session
    ///     signs with one set of credentials for its life: libcurl keeps a kept-alive connection's login.
    ///   - interrupt: the flag that stops interruptible requests (shared by a client's successive sessions).
    ///   - maxResponseBytes: the largest response body read; a longer one stops the transfer with an error.
    /// - Throws: `Failure` when libcurl cannot be initialised or lacks an option (SigV4 needs 7.75+).
    init(signing: Signing?, connectTimeout: Double, caBundle: String?, interrupt: InterruptFlag = InterruptFlag(),
         maxResponseBytes: Int = CurlSession.defaultMaxResponseBytes) throws(Failure) {
        guard CurlRuntime.initialised == CURLE_OK, let handle = curl_easy_init() else {
            throw Failure(code: CURLE_FAILED_INIT, detail: "curl_easy_init failed")
        }
        self.handle = handle
        self.interrupt = interrupt
        collector = Collector(interrupt: interrupt, maxBody: maxResponseBytes)
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        emptyBody = .allocate(capacity: 1)
        emptyBody.initialize(to: 0)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        try check(tower_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(tower_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connectTimeout)))
        // HTTP/1.1 with keep-alive, as AWS's SDKs use for SQS (libcurl would otherwise offer HTTP/2 over TLS).
        try check(tower_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1))
        try check(tower_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        try check(tower_curl_setopt_long(handle, CURLOPT_TCP_KEEPIDLE, 30))
        try check(tower_curl_setopt_long(handle, CURLOPT_TCP_KEEPINTVL, 15))
        try check(tower_curl_setopt_string(handle, CURLOPT_USERAGENT, "tower-sqs/1 libcurl"))
        if let signing {
            try check(tower_curl_setopt_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(signing.region):\(signing.service)"))
            try check(tower_curl_setopt_string(handle, CURLOPT_USERNAME, signing.credentials.accessKeyID))
            try check(tower_curl_setopt_string(handle, CURLOPT_PASSWORD, signing.credentials.secretAccessKey))
        }
        if let caBundle { try check(tower_curl_setopt_string(handle, CURLOPT_CAINFO, caBundle)) }
        try check(tower_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try check(tower_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, Collector.onBody))
        try check(tower_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(tower_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, Collector.onHeader))
        try check(tower_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        try check(tower_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        try check(tower_curl_setopt_xferinfo_function(handle, CURLOPT_XFERINFOFUNCTION, Collector.onProgress))
        try check(tower_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
    }

    deinit {
        curl_easy_cleanup(handle)
        headerLists.removeAll()
        errorBuffer.deallocate()
        emptyBody.deallocate()
    }

    /// Sends `body` to `url` with `headers` (`Name: value` lines, cached by their joined text), signed by
    /// libcurl when the session signs. `method` is POST, PUT or GET (GET sends no body).
    /// An interruptible request stops within about a second of `interrupt.raise()`.
    /// - Throws: `Failure` when no HTTP response arrived (libcurl's code says why).
    func post(url: String, headers: [String], body: [UInt8], timeout: Double, interruptible: Bool,
              method: String = "POST") throws(Failure) -> Response {
        collector.reset(interruptible: interruptible)
        if method != currentMethod {
            if method == "GET" {
                try check(tower_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
            } else {
                try check(tower_curl_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil))
                if method != "POST" { try check(tower_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)) }
            }
            currentMethod = method
        }
        errorBuffer[0] = 0
        if url != currentURL {
            try check(tower_curl_setopt_string(handle, CURLOPT_URL, url))
            currentURL = url
        }
        try check(tower_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList(headers).pointer))
        try check(tower_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(timeout)))
        let code: CURLcode = method == "GET" ? curl_easy_perform(handle) : body.withUnsafeBytes { raw in
            guard tower_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count) == CURLE_OK else { return CURLE_FAILED_INIT }
            let pointer = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(emptyBody)
            guard tower_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer) == CURLE_OK else { return CURLE_FAILED_INIT }
            return curl_easy_perform(handle)
        }
        if collector.overflowed { throw Failure.responseTooLarge(limit: collector.maxBody) }
        try check(code)
        var status = 0
        try check(tower_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        return Response(status: status, body: collector.body, queryError: collector.queryError, errorType: collector.errorType)
    }

    private func headerList(_ lines: [String]) -> HeaderList {
        let key = lines.joined(separator: "\n")
        if let list = headerLists[key] { return list }
        let list = HeaderList(lines)
        headerLists[key] = list
        return list
    }

    private func check(_ code: CURLcode) throws(Failure) {
        guard code != CURLE_OK else { return }
        let buffered = String(cString: errorBuffer)
        throw Failure(code: code, detail: buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered)
    }

    private static func milliseconds(_ seconds: Double) -> Int { max(1, Int((seconds * 1000).rounded())) }
}

/// Process-wide libcurl initialisation, done once (Swift initialises static properties thread-safely).
enum CurlRuntime {
    /// `curl_global_init(CURL_GLOBAL_DEFAULT)`.
    static let initialised: CURLcode = curl_global_init(3)
}

/// A libcurl header list, freed with the object.
final class HeaderList {
    let pointer: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines { list = curl_slist_append(list, line) }
        pointer = list
    }

    deinit { curl_slist_free_all(pointer) }
}

/// A flag another thread raises to stop interruptible work; also an interruptible sleep.
final class InterruptFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var raised = false

    /// Raises the flag and wakes sleepers.
    func raise() {
        condition.lock()
        raised = true
        condition.broadcast()
        condition.unlock()
    }

    var isRaised: Bool {
        condition.lock()
        defer { condition.unlock() }
        return raised
    }

    /// Lowers the flag; returns whether it was raised.
    func consume() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let was = raised
        raised = false
        return was
    }

    /// Sleeps up to `seconds`; returns true as soon as the flag is raised.
    func sleep(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !raised {
            if !condition.wait(until: deadline) { break }
        }
        return raised
    }
}

/// Collects one response (body and the few headers the client reads) through libcurl callbacks.
private final class Collector {
    var body: [UInt8] = []
    var queryError: String?
    var errorType: String?
    var interruptible = false
    /// Set when the body passed `maxBody` bytes (the transfer was stopped).
    var overflowed = false
    let interrupt: InterruptFlag
    let maxBody: Int

    init(interrupt: InterruptFlag, maxBody: Int) {
        self.interrupt = interrupt
        self.maxBody = maxBody
    }

    func reset(interruptible: Bool) {
        body.removeAll(keepingCapacity: true)
        overflowed = false
        queryError = nil
        errorType = nil
        self.interruptible = interruptible
    }

    static let onBody: tower_curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        guard collector.body.count + length <= collector.maxBody else {
            collector.overflowed = true
            return 0 // libcurl stops the transfer (CURLE_WRITE_ERROR)
        }
        collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    static let onHeader: tower_curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        let line = UnsafeRawBufferPointer(start: data, count: length)
        // Only `x-amzn-…` headers matter; skip everything else without building strings.
        guard length > 8, line[0] | 0x20 == UInt8(ascii: "x") else {
            if length > 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T") { collector.reset(interruptible: collector.interruptible) }
            return length
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return length }
        let name = text[..<colon].lowercased()
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if name == "x-amzn-query-error" { collector.queryError = value }
        if name == "x-amzn-errortype" { collector.errorType = value }
        return length
    }

    static let onProgress: tower_curl_xferinfo_callback = { context, _, _, _, _ in
        guard let context else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
        return collector.interruptible && collector.interrupt.isRaised ? 1 : 0
    }
}
