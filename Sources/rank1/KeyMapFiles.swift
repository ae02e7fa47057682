import Explorer
import Foundation

extension KeyMap {
    /// The shipped key map file, then a user's over it (each named in its errors).
    static func read(shipped: String, user: String?) throws -> KeyMap {
        func bytes(_ path: String) throws -> (data: Data, source: String) {
            guard let d = FileManager.default.contents(atPath: path) else { throw KeyMapError("\(path): cannot be read") }
            return (d, path)
        }
        return try load(shipped: try bytes(shipped), user: try user.map(bytes))
    }
}
