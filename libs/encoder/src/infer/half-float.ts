/**
 * fp16 models (the hub's `model_O4.onnx`) return float16 tensors, which onnxruntime-node hands over
 * as raw `Uint16Array` bit patterns (Node 20 has no Float16Array). A 64k-entry table turns each
 * pattern into a float32 with one lookup, cheaper than decoding the bits per element.
 */
let table: Float32Array | undefined;

function buildTable(): Float32Array {
  const out = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) out[bits] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) out[bits] = fraction === 0 ? sign * Infinity : NaN;
    else out[bits] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}

export function halfToFloat(bits: Uint16Array): Float32Array {
  table ??= buildTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
