import Rerank
import Retrieval

/// Index documents as the passages a reranker judges: where the commands turn search hits or a run's candidates
/// (document numbers in the index) into `Passage`s. (The explorer makes its passages from the rows it shows.)
public enum Candidates {
    public static func passages(_ documents: some Sequence<Int>, in reader: IndexReader) throws -> [Passage] {
        try documents.map { n in
            let d = try reader.document(n)
            return Passage(id: d.id, title: d.title, text: d.text)
        }
    }
}
