//! Layers on the OpenCL device (PoCL in the tests): forwards equal the C
//! reference bit for bit, the context's ledger follows the handles.
mod common;

use clql::{Config, Context, GroupSize, Layer, LayerShape, PackedWeights, QType, TernaryWeights};
use common::{assert_bits_eq, Rng};

fn shapes() -> Vec<LayerShape> {
    vec![
        LayerShape::new(64, 256, QType::I2S),
        LayerShape { n: 33, k: 200, qtype: QType::TL1, group_size: GroupSize::Tensor },
        LayerShape { n: 40, k: 192, qtype: QType::TL2, group_size: GroupSize::Elements(96) },
        LayerShape { n: 17, k: 320, qtype: QType::I2S, group_size: GroupSize::Elements(64) },
    ]
}

#[test]
fn forward_equals_the_reference_bit_for_bit() {
    let mut rng = Rng::new();
    let ctx = Context::new(None, None).unwrap();
    for shape in shapes() {
        let t = rng.trits((shape.n * shape.k) as usize);
        let scales: Vec<f32> = (0..shape.scale_count().unwrap()).map(|_| rng.float().abs() + 0.01).collect();
        let w = TernaryWeights { shape, t: &t, scales: &scales };
        let packed = PackedWeights::pack(&shape, &t, &scales).unwrap();
        assert_eq!(packed.unpack().unwrap(), (t.clone(), scales.clone()));
        let mut layer = Layer::new(&ctx, &packed, None).unwrap();
        assert_eq!((layer.n(), layer.k()), (shape.n, shape.k));
        for batch in [1u64, 5] {
            let x = rng.floats((batch * shape.k) as usize, 3.0);
            let y = layer.forward(&x, batch).unwrap();
            let want = clql::reference_forward(&w, &x, batch).unwrap();
            assert_bits_eq(&format!("{:?} batch {}", shape, batch), &y, &want);
        }
        let stats = layer.stats().unwrap();
        let wb = shape.weight_bytes().unwrap();
        assert_eq!(stats.resident_bytes, wb.weights + wb.scales);
        assert_eq!(stats.plan.shape, shape);
        assert!(stats.plan.fits);
        assert!(["x86", "ksplit", "portable"].contains(&layer.kernels().as_str()));
    }
}

#[test]
fn each_wait_mode_waits_for_the_forward() {
    let mut rng = Rng::new();
    let shape = LayerShape::new(48, 256, QType::I2S);
    let t = rng.trits((shape.n * shape.k) as usize);
    let scales = vec![0.75f32; shape.n as usize];
    let w = TernaryWeights { shape, t: &t, scales: &scales };
    for mode in ["poll", "block"] {
        let mut cfg = Config::new().unwrap();
        cfg.set("CLQL_WAIT", Some(mode)).unwrap();
        let ctx = Context::new(None, Some(&cfg)).unwrap();
        assert_eq!(ctx.wait_mode(), mode);
        let mut layer = Layer::new(&ctx, &PackedWeights::pack(&shape, &t, &scales).unwrap(), None).unwrap();
        let x = rng.floats(shape.k as usize, 2.0);
        let want = clql::reference_forward(&w, &x, 1).unwrap();
        for round in 0..3 {
            let y = layer.forward(&x, 1).unwrap();
            assert_bits_eq(&format!("{} round {}", mode, round), &y, &want);
        }
        ctx.finish().unwrap();
    }
}

#[test]
fn fused_layer_equals_its_parts() {
    let mut rng = Rng::new();
    let ctx = Context::new(None, None).unwrap();
    let k = 256u64;
    let shapes = [LayerShape::new(48, k, QType::I2S), LayerShape::new(16, k, QType::I2S)];
    let ts: Vec<Vec<i8>> = shapes.iter().map(|s| rng.trits((s.n * k) as usize)).collect();
    let ss: Vec<Vec<f32>> = shapes.iter().map(|s| vec![0.5; s.n as usize]).collect();
    let parts: Vec<TernaryWeights> =
        (0..2).map(|i| TernaryWeights { shape: shapes[i], t: &ts[i], scales: &ss[i] }).collect();
    let mut fused = Layer::fused(&ctx, &parts, None).unwrap();
    assert_eq!(fused.n(), 64);
    assert_eq!(fused.part(1).unwrap(), (48, 16));
    assert_eq!(fused.part(2).unwrap_err().name(), "CLQL_ERR_NOT_FOUND");
    let x = rng.floats(2 * k as usize, 1.0);
    let y = fused.forward(&x, 2).unwrap();
    for (i, p) in parts.iter().enumerate() {
        let want = clql::reference_forward(p, &x, 2).unwrap();
        let (offset, rows) = fused.part(i).unwrap();
        for b in 0..2usize {
            let got = &y[b * 64 + offset as usize..b * 64 + (offset + rows) as usize];
            assert_bits_eq(&format!("part {} token {}", i, b), got, &want[b * rows as usize..(b + 1) * rows as usize]);
        }
    }
}

#[test]
fn ledger_follows_layers_and_workspace() {
    let mut rng = Rng::new();
    let ctx = Context::new(None, None).unwrap();
    let d = ctx.device();
    assert!(d.profile_id().is_none());
    assert!(d.memory().total() > 0);
    let shape = LayerShape::new(128, 512, QType::TL1);
    let t = rng.trits(128 * 512);
    let packed = PackedWeights::pack(&shape, &t, &vec![1.0; 128]).unwrap();
    let before = ctx.memory().unwrap();
    assert_eq!((before.layers, before.resident, before.held), (0, 0, 0));
    {
        let mut a = Layer::new(&ctx, &packed, None).unwrap();
        let _b = Layer::new(&ctx, &packed, None).unwrap();
        let m = ctx.memory().unwrap();
        let wb = shape.weight_bytes().unwrap();
        assert_eq!(m.layers, 2);
        assert_eq!(m.resident, 2 * (wb.weights + wb.scales));
        a.forward(&rng.floats(3 * 512, 1.0), 3).unwrap();
        let m = ctx.memory().unwrap();
        assert!(m.workspace > 0 && m.held == m.resident + m.workspace && m.held <= m.budget.bytes);
        assert_eq!(a.stats().unwrap().workspace_allocated, m.workspace);
        a.release_workspace();
        assert_eq!(ctx.memory().unwrap().workspace, 0);
        // The caller's workspace for 3 tokens: the layout's bytes.
        assert!(a.workspace_bytes(3).unwrap() > 0);
        let e = a.forward(&[0.0; 7], 1).unwrap_err();
        assert_eq!(e.name(), "CLQL_ERR_INVALID_ARGUMENT");
    }
    let after = ctx.memory().unwrap();
    assert_eq!((after.layers, after.resident), (0, 0), "dropped layers release their weights");
}

#[test]
fn reference_quantization() {
    let (q, s) = clql::reference_quantize_activations(&[0.5, -1.0, 0.25, 0.0], 1, 4).unwrap();
    assert_eq!(q, vec![64, -127, 32, 0]);
    assert_eq!(s, vec![127.0]);
}

/// Contexts created by several threads at once in a fresh process (the
/// test runs itself again): each gets its device and runs a forward.
#[test]
fn first_contexts_on_several_threads() {
    if std::env::var_os("CLQL_BINDINGS_THREADS_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "first_contexts_on_several_threads", "--nocapture"])
            .env("CLQL_BINDINGS_THREADS_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success(), "the threads' run failed: {:?}", status);
        return;
    }
    let threads: Vec<_> = (0..3)
        .map(|i| {
            std::thread::spawn(move || {
                let ctx = Context::new(None, None).unwrap();
                let shape = LayerShape::new(16, 128, QType::I2S);
                let t = vec![1i8; 16 * 128];
                let w = TernaryWeights { shape, t: &t, scales: &[1.0; 16] };
                let mut layer = Layer::from_weights(&ctx, &w, None).unwrap();
                let x = vec![i as f32 + 0.5; 128];
                assert_bits_eq("thread", &layer.forward(&x, 1).unwrap(), &clql::reference_forward(&w, &x, 1).unwrap());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
