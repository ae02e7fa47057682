import Rerank
import Retrieval

/// Index documents as the passages a reranker judges: the one place where search hits or a run's candidates
/// (document numbers in the index) become `Passage`s.
public enum Candidates {
    public static func passages(_ documents: some Sequence<Int>, in reader: IndexReader) throws -> [Passage] {
        try documents.map { n in
            let d = try reader.document(n)
            return Passage(id: d.id, title: d.title, text: d.text)
        }
    }
}
