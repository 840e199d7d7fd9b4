/** Splits a [rows, dim] output into per-row vectors, L2-normalized when asked (LAION stores normalized vectors). */
export function rowsOf(data: Float32Array, rows: number, normalize: boolean): Float32Array[] {
  const dim = data.length / rows;
  const out: Float32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const v = data.slice(r * dim, (r + 1) * dim);
    if (normalize) {
      let sum = 0;
      for (let i = 0; i < dim; i++) sum += v[i] * v[i];
      const norm = Math.sqrt(sum);
      if (norm > 0) for (let i = 0; i < dim; i++) v[i] /= norm;
    }
    out.push(v);
  }
  return out;
}
