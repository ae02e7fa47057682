/// A failure of the reranking core, said in words for the person at the terminal (what went wrong, and the fix).
public struct RerankError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
