import TowerModel

/// HMAC-SHA256 (RFC 2104) over TowerModel's SHA-256, so the tests can check libcurl's signatures
/// with code that shares nothing with libcurl.
enum TestCrypto {
    static func hash(_ message: [UInt8]) -> [UInt8] { SHA256.digest(message) }

    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        return hash(block.map { $0 ^ 0x5c } + hash(block.map { $0 ^ 0x36 } + message))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
