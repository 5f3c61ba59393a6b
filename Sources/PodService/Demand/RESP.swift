import NIOCore

/// The replies of Redis's RESP2 protocol that a queue-length read needs. Arrays, and RESP3's types, are refused: no
/// command this client sends answers with them.
enum RESPValue: Sendable, Hashable {
    /// `+OK`
    case simpleString(String)
    /// `-WRONGPASS invalid username-password pair`
    case error(String)
    /// `:42`
    case integer(Int)
    /// `$3 foo`, or nil for `$-1`.
    case bulkString([UInt8]?)
}

/// A reply that is not RESP this client reads.
struct RESPProtocolError: Error, Sendable, CustomStringConvertible {
    let description: String
}

/// Parses RESP replies from bytes.
enum RESPParser {
    /// Longest line accepted (a reply line is a status, an error or a number).
    static let maxLine = 64 * 1024
    /// Largest bulk string accepted.
    static let maxBulk = 512 * 1024

    /// The first reply in `bytes` and how many bytes it took, or nil when more bytes are needed.
    static func parse(_ bytes: [UInt8]) throws(RESPProtocolError) -> (value: RESPValue, consumed: Int)? {
        guard let type = bytes.first else { return nil }
        guard let (line, afterLine) = try Self.line(bytes, from: 1) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            return (.simpleString(String(decoding: line, as: UTF8.self)), afterLine)
        case UInt8(ascii: "-"):
            return (.error(String(decoding: line, as: UTF8.self)), afterLine)
        case UInt8(ascii: ":"):
            guard let number = Int(String(decoding: line, as: UTF8.self)) else {
                throw RESPProtocolError(description: "an integer reply holds '\(String(decoding: line.prefix(40), as: UTF8.self))'")
            }
            return (.integer(number), afterLine)
        case UInt8(ascii: "$"):
            guard let length = Int(String(decoding: line, as: UTF8.self)), length >= -1, length <= maxBulk else {
                throw RESPProtocolError(description: "a bulk string reply has a bad length")
            }
            if length == -1 { return (.bulkString(nil), afterLine) }
            let end = afterLine + length
            guard bytes.count >= end + 2 else { return nil }
            guard bytes[end] == UInt8(ascii: "\r"), bytes[end + 1] == UInt8(ascii: "\n") else {
                throw RESPProtocolError(description: "a bulk string reply does not end with CRLF")
            }
            return (.bulkString(Array(bytes[afterLine..<end])), end + 2)
        default:
            let shown = type >= 0x20 && type < 0x7F ? "'\(Character(Unicode.Scalar(type)))'" : "byte \(type)"
            throw RESPProtocolError(description: "a reply of type \(shown), which this client does not read (only +, -, : and $)")
        }
    }

    /// The bytes up to the next CRLF from `start`, and the index after it; nil when the CRLF has not arrived.
    private static func line(_ bytes: [UInt8], from start: Int) throws(RESPProtocolError) -> (ArraySlice<UInt8>, Int)? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r") && bytes[index + 1] == UInt8(ascii: "\n") { return (bytes[start..<index], index + 2) }
            index += 1
        }
        if bytes.count - start > maxLine { throw RESPProtocolError(description: "a reply line is longer than \(maxLine) bytes") }
        return nil
    }

    /// A command as RESP: an array of bulk strings.
    static func encode(_ command: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(command.count)\r\n")
        for part in command {
            buffer.writeString("$\(part.utf8.count)\r\n")
            buffer.writeString(part)
            buffer.writeString("\r\n")
        }
    }
}

/// Bytes in, replies out.
struct RESPDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = RESPValue

    mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let (value, consumed) = try RESPParser.parse(Array(buffer.readableBytesView)) else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return value
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try decode(buffer: &buffer)
    }
}

/// Commands in, bytes out.
struct RESPEncoder: MessageToByteEncoder {
    typealias OutboundIn = [String]

    func encode(data: [String], out: inout ByteBuffer) {
        RESPParser.encode(data, into: &out)
    }
}
