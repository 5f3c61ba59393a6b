import Foundation

/// Text from RunPod or from users (pod names, log lines, error details, env values), made safe to print on a terminal.
///
/// A terminal acts on control characters: `ESC[2J` in a pod name clears the screen of whoever runs `list`, other
/// sequences move the cursor, rewrite the window title or hide text, and bidirectional overrides reorder what is shown.
/// Every such character is printed as a visible escape instead (`\e[2J`, `\x07`, `\u{202e}`); newlines and tabs stay.
/// `--json` output is unaffected: JSON already writes control characters as `\u001b`.
enum TerminalText {
    /// `text` with every control character (C0 but newline and tab, DEL, C1) and bidirectional override shown as a
    /// visible escape. With `keepingColours`, SGR sequences (`ESC [ digits ; m`: colours and styles, nothing else) are
    /// kept, so a log's colours survive on a terminal.
    static func escaped(_ text: String, keepingColours: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if keepingColours, scalar == "\u{1B}", let end = colourSequenceEnd(scalars, from: index) {
                result.append(contentsOf: scalars[index...end])
                index = end + 1
                continue
            }
            if isUnsafe(scalar) {
                result.append(contentsOf: visible(scalar).unicodeScalars)
            } else {
                result.append(scalar)
            }
            index += 1
        }
        return String(result)
    }

    /// True for what a terminal could act on.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F, 0x80...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true  // Bidirectional embeddings, overrides and isolates.
        default: false
        }
    }

    private static func visible(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x1B: "\\e"
        case 0x0D: "\\r"
        case 0x00...0x7F: String(format: "\\x%02x", scalar.value)
        default: String(format: "\\u{%x}", scalar.value)
        }
    }

    /// The index of the `m` ending an SGR sequence starting at `start` (`ESC [ 0-9 ; … m`), or nil.
    private static func colourSequenceEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard start + 2 < scalars.count, scalars[start + 1] == "[" else { return nil }
        var index = start + 2
        while index < scalars.count, index - start < 32 {
            let scalar = scalars[index]
            if scalar == "m" { return index }
            guard ("0"..."9").contains(scalar) || scalar == ";" else { return nil }
            index += 1
        }
        return nil
    }
}
