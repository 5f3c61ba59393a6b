import Foundation

/// Plain-text tables for stdout: aligned columns, no borders, easy to read and to `awk`. Cells are escaped for the
/// terminal (`TerminalText`), newlines and tabs too, so a pod name cannot break the table or the terminal.
enum Table {
    /// Columns padded to the widest cell, separated by two spaces; one line per row, header first.
    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map(cell) }
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `key  value` lines with the keys aligned.
    static func keyValue(_ rows: [(String, String)]) -> String {
        let rows = rows.map { (cell($0.0), TerminalText.escaped($0.1)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }

    /// One cell: escaped, on one line.
    static func cell(_ text: String) -> String {
        TerminalText.escaped(text).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
    }
}
