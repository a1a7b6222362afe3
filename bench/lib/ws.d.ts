// `ws` ships no type declarations; the benchmarks use it untyped.
declare module "ws";
