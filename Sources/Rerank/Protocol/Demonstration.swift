/// Worked examples for the `-demo` profiles: one relevant and one irrelevant pair, with the kind of short
/// reasoning we want (what the query asks, what the passage says, whether it answers). They sit in the shared
/// prefix, so the KV cache pays for them once per job. Written for this project; the relevant example comes
/// last because small models lean towards the verdict they saw most recently.
struct Demonstration: Sendable {
    var query: String
    var passage: String
    var reasoning: String
    var verdict: String

    static let all: [Demonstration] = [
        Demonstration(
            query: "Does aspirin reduce the risk of colorectal cancer?",
            passage:
                "Statin use and bone density. In a cohort of 2,000 older women, statin use was associated with a small increase in hip bone mineral density over five years.",
            reasoning:
                "The query asks whether aspirin lowers the risk of colorectal cancer. The passage studies statins and hip bone density in older women. Aspirin and colorectal cancer are not discussed, so the passage cannot answer the query.",
            verdict: "false"),
        Demonstration(
            query: "What causes scurvy?",
            passage:
                "Vitamin C deficiency and collagen synthesis. Ascorbic acid is a cofactor of the enzymes that stabilise collagen; without it connective tissue weakens, which produces the bleeding gums and poor wound healing of scurvy.",
            reasoning:
                "The query asks for the cause of scurvy. The passage explains that a lack of vitamin C weakens collagen and produces the symptoms of scurvy. That is the cause the query asks for, so the passage answers it.",
            verdict: "true"),
    ]
}
