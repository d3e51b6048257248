/// An independent AWS Signature Version 4 implementation (the algorithm as AWS documents it),
/// used to check what libcurl sends.
struct ReferenceSigV4 {
    var accessKeyID: String
    var secret: String
    var region: String
    var service: String

    /// A request as a server sees it.
    struct Request {
        var method: String
        var path: String
        var query: String = ""
        /// Header lines in arrival order (duplicates kept).
        var headers: [(name: String, value: String)]
        var body: [UInt8] = []

        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    /// The canonical request over `signedHeaders` (lower-case names).
    func canonicalRequest(_ request: Request, signedHeaders: [String]) -> String {
        let names = signedHeaders.map { $0.lowercased() }.sorted()
        let canonicalHeaders = names.map { name -> String in
            let value = request.values(name).map(Self.collapseWhitespace).joined(separator: ",")
            return "\(name):\(value)\n"
        }.joined()
        return [request.method, request.path, request.query, canonicalHeaders, names.joined(separator: ";"),
                TestCrypto.hex(TestCrypto.hash(request.body))].joined(separator: "\n")
    }

    /// The hex signature of `request` made at `amzDate` (`yyyyMMdd'T'HHmmss'Z'`).
    func signature(_ request: Request, signedHeaders: [String], amzDate: String) -> String {
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope,
                            TestCrypto.hex(TestCrypto.hash(Array(canonicalRequest(request, signedHeaders: signedHeaders).utf8)))]
            .joined(separator: "\n")
        var key = Array("AWS4\(secret)".utf8)
        for part in [day, region, service, "aws4_request"] { key = TestCrypto.hmac(key: key, message: Array(part.utf8)) }
        return TestCrypto.hex(TestCrypto.hmac(key: key, message: Array(stringToSign.utf8)))
    }

    /// The full Authorization header value.
    func authorization(_ request: Request, signedHeaders: [String], amzDate: String) -> String {
        let names = signedHeaders.map { $0.lowercased() }.sorted().joined(separator: ";")
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(amzDate.prefix(8))/\(region)/\(service)/aws4_request, "
            + "SignedHeaders=\(names), Signature=\(signature(request, signedHeaders: signedHeaders, amzDate: amzDate))"
    }

    private static func collapseWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
