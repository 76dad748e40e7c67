/**
 * Payload values that Arrow and Parquet files hold in different physical forms, given one JSON-safe form
 * by both readers (libs/corpus/README.md, "Payload values"):
 *
 * - decimals: the number when its shortest form is exactly the decimal (1.23, 3e-10), else the decimal as a
 *   string with all its scale's digits ("12345678901234567890.1234567890"); a JSON parser reads the number
 *   back as that very decimal, and nothing is rounded;
 * - timestamps: milliseconds truncated toward -infinity, so a time before 1970 keeps its wall-clock
 *   millisecond (truncating toward zero, as BigInt division and `new Date` do, moves it a millisecond on).
 */

/** A decimal `unscaled * 10^-scale` as a JSON number when that is exact, else its decimal string. */
export function decimalValue(unscaled: bigint, scale: number): number | string {
  const text = decimalString(unscaled, scale);
  const number = Number(text);
  if (Number.isFinite(number) && sameValue(normalize(unscaled, -scale), parseNumber(String(number))))
    return number;
  return text;
}

/** `unscaled * 10^-scale` in plain decimal notation, with `scale` digits after the point. */
export function decimalString(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** A big-endian two's complement integer (Parquet's FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY decimals). */
export function bigEndianSigned(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return bytes.length > 0 && bytes[0]! >= 0x80 ? value - (1n << BigInt(bytes.length * 8)) : value;
}

/** Little-endian 32-bit words of a two's complement integer (Arrow's Decimal128 and Decimal256 values). */
export function littleEndianWordsSigned(words: Uint32Array): bigint {
  let value = 0n;
  for (let i = words.length - 1; i >= 0; i--) value = (value << 32n) | BigInt(words[i]!);
  const bits = BigInt(words.length * 32);
  return words.length > 0 && words[words.length - 1]! >= 0x80000000 ? value - (1n << bits) : value;
}

/** Milliseconds since the epoch of a time counted in units of `perMilli` (1000n: micro-, 1000000n: nanoseconds). */
export function floorMillis(value: bigint, perMilli: bigint): number {
  const quotient = value / perMilli;
  return Number(value % perMilli < 0n ? quotient - 1n : quotient);
}

type Normal = readonly [mantissa: bigint, exponent: number];

function normalize(mantissa: bigint, exponent: number): Normal {
  if (mantissa === 0n) return [0n, 0];
  let m = mantissa;
  let e = exponent;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  return [m, e];
}

/** A JavaScript number's String() form ("-1.5", "3e-10", "1.2e+21") as mantissa and exponent. */
function parseNumber(text: string): Normal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (match === null) return [0n, Number.NaN];
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  return normalize(BigInt(`${sign}${whole}${fraction}`), Number(exponent) - fraction.length);
}

const sameValue = (a: Normal, b: Normal) => a[0] === b[0] && a[1] === b[1];
