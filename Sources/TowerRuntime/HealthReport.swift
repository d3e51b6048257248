import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird

/// What `GET /health` answers: 200 when healthy, else 503, with one line saying why.
public struct HealthReport: Sendable, Equatable {
    public var healthy: Bool
    public var text: String

    public init(healthy: Bool, text: String) {
        self.healthy = healthy
        self.text = text
    }

    func response() -> Response {
        Response(status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What the process serving `address` answers at `GET /health`; nil when nothing answers 200 or 503 within 2 s
    /// (none running there, or another server).
    public static func query(_ address: ListenAddress) async -> HealthReport? {
        guard let url = URL(string: "http://\(address)/health") else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        guard let (data, response) = try? await URLSession.shared.data(for: request),
              let status = (response as? HTTPURLResponse)?.statusCode, status == 200 || status == 503 else { return nil }
        return HealthReport(healthy: status == 200, text: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
