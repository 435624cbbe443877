import ArgumentParser
struct Benchmark: ParsableCommand { func run() throws {} }
