//! Call overhead: a 64-byte echo through Caplet vs the same module on raw wasmi.

use caplet_benches::RawEcho;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn echo(c: &mut Criterion) {
    let wasm = caplet_tests::plugin("echo");
    let mut group = c.benchmark_group("echo");
    for size in [64usize, 4096, 65536] {
        let input = vec![b'a'; size];
        group.throughput(Throughput::Bytes(size as u64));
        let plugin = caplet_tests::load(&wasm, &[]).expect("loads");
        let mut instance = plugin.instantiate().expect("instantiates");
        assert_eq!(instance.call("echo", &input).unwrap(), input);
        group.bench_with_input(BenchmarkId::new("caplet", size), &input, |b, input| {
            b.iter(|| instance.call("echo", black_box(input)).unwrap())
        });
        let mut raw = RawEcho::new(&wasm, "echo");
        assert_eq!(raw.call(&input), input);
        group.bench_with_input(BenchmarkId::new("raw_wasmi", size), &input, |b, input| {
            b.iter(|| raw.call(black_box(input)))
        });
    }
    group.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);
