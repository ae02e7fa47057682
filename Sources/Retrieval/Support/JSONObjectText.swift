import Foundation

/// A user's JSON file (a config, a key map, a theme, a run) read as one object, with what is wrong when it is not:
/// Foundation says where the syntax broke ("Invalid value around character 12."), which a bare `try?` throws away.
public enum JSONObjectText {
    public struct Problem: Error, Sendable {
        public let message: String
    }

    public static func object(_ data: Data) throws(Problem) -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw Problem(message: "not valid JSON" + (detail.map { " (\($0))" } ?? ""))
        }
        guard let object = parsed as? [String: Any] else { throw Problem(message: "not a JSON object") }
        return object
    }
}
