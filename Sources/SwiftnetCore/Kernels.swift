/// The numeric kernels, one function per op, each taking raw pointers and explicit sizes. Layout (NCHW) and
/// threading decisions live here only; layers describe *what* to compute, kernels *how*.
public enum Kernels {}
