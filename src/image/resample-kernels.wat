;; WebAssembly SIMD kernels for the two passes of Pillow's 8-bit BICUBIC resize (see
;; resample.ts for the algorithm and resample-wasm.ts for the memory layout). The integer
;; arithmetic is Pillow's: int32 accumulators starting at 1 << 21, 22-bit fixed-point weights,
;; then >> 22 and clamping to 0..255 (done here by the saturating narrowing instructions).
;;
;; Rebuild after editing (Debian package wabt; the output is committed as base64):
;;   sh src/image/build-kernels.sh

(module
  (memory (export "memory") 1)

  ;; Horizontal pass for 3- or 4-byte pixels. For each of `rows` rows of `src` (row stride
  ;; `srcStride` bytes) and each output column xx < outW: taps start at pixel bounds[2xx] and
  ;; number bounds[2xx+1]; `ch` bytes per pixel. Taps go in pairs, with 16-bit multiplies: each
  ;; 22-bit weight w is split as w = hi * 2048 + lo (hi = w >> 11, 0 <= lo < 2048), and for
  ;; column xx, pair j, the 32 bytes at kk + xx * pairStride + j * 32 hold the i16 lanes
  ;; (hi(2j), hi(2j+1)) x 4, then (lo(2j), lo(2j+1)) x 4 (a tap past the last one weighs 0).
  ;; A pair's two pixels, widened to i16 as (c0, c0', c1, c1', c2, c2', c3, c3'), times those by
  ;; i32x4.dot_i16x8_s give each channel's two products; sum = (sumHi << 11) + sumLo is Pillow's
  ;; exact int32 sum. 8 bytes are loaded per pair, so the caller leaves spare bytes after `src`.
  ;; Rows go in pairs that share the weight loads; an odd last row pairs with itself.
  (func (export "hpass")
    (param $src i32) (param $srcStride i32) (param $ch i32) (param $rows i32)
    (param $bounds i32) (param $kk i32) (param $pairStride i32) (param $outW i32) (param $out i32)
    (local $y i32) (local $row i32) (local $xx i32) (local $b i32) (local $p i32) (local $k i32)
    (local $kEnd i32) (local $hi v128) (local $lo v128) (local $hi2 v128) (local $lo2 v128)
    (local $wHi v128) (local $wLo v128) (local $px v128) (local $mask v128) (local $acc v128)
    (local $step i32) (local $o i32) (local $outStride i32) (local $pairBytes i32)
    (local.set $outStride (i32.mul (local.get $outW) (local.get $ch)))
    (local.set $pairBytes (i32.shl (local.get $ch) (i32.const 1)))
    ;; bytes of the two pixels into i16 lanes (c0, c0', c1, c1', ...); index 16 gives a zero byte
    (local.set $mask (select (v128.const i8x16 0 16 4 16 1 16 5 16 2 16 6 16 3 16 7 16)
      (v128.const i8x16 0 16 3 16 1 16 4 16 2 16 5 16 16 16 16 16)
      (i32.eq (local.get $ch) (i32.const 4))))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        ;; distance to the second row of the pair (0 when this is the odd last row)
        (local.set $step (select (local.get $srcStride) (i32.const 0)
          (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $rows))))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $outStride))))
        (local.set $xx (i32.const 0))
        (local.set $b (local.get $bounds))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $k (i32.add (local.get $kk) (i32.mul (local.get $xx) (local.get $pairStride))))
            (local.set $p (i32.add (local.get $row) (i32.mul (i32.load (local.get $b)) (local.get $ch))))
            ;; pairs = ceil(taps / 2), 32 bytes each
            (local.set $kEnd (i32.add (local.get $k)
              (i32.shl (i32.shr_u (i32.add (i32.load offset=4 (local.get $b)) (i32.const 1)) (i32.const 1)) (i32.const 5))))
            (local.set $hi (v128.const i32x4 0 0 0 0))
            (local.set $lo (local.get $hi))
            (local.set $hi2 (local.get $hi))
            (local.set $lo2 (local.get $hi))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                (local.set $wHi (v128.load (local.get $k)))
                (local.set $wLo (v128.load offset=16 (local.get $k)))
                (local.set $px (i8x16.swizzle (v128.load64_zero (local.get $p)) (local.get $mask)))
                (local.set $hi (i32x4.add (local.get $hi) (i32x4.dot_i16x8_s (local.get $px) (local.get $wHi))))
                (local.set $lo (i32x4.add (local.get $lo) (i32x4.dot_i16x8_s (local.get $px) (local.get $wLo))))
                (local.set $px (i8x16.swizzle (v128.load64_zero (i32.add (local.get $p) (local.get $step))) (local.get $mask)))
                (local.set $hi2 (i32x4.add (local.get $hi2) (i32x4.dot_i16x8_s (local.get $px) (local.get $wHi))))
                (local.set $lo2 (i32x4.add (local.get $lo2) (i32x4.dot_i16x8_s (local.get $px) (local.get $wLo))))
                (local.set $p (i32.add (local.get $p) (local.get $pairBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 32)))
                (br $tapLoop)))
            ;; (hi << 11) + lo + 1 << 21, >> 22, then the saturating narrowings clamp to 0..255
            ;; as Pillow's clip8 does
            (local.set $acc (i8x16.narrow_i16x8_u
              (i16x8.narrow_i32x4_s
                (i32x4.shr_s (i32x4.add (i32x4.add (i32x4.shl (local.get $hi) (i32.const 11)) (local.get $lo))
                  (v128.const i32x4 2097152 2097152 2097152 2097152)) (i32.const 22))
                (i32x4.shr_s (i32x4.add (i32x4.add (i32x4.shl (local.get $hi2) (i32.const 11)) (local.get $lo2))
                  (v128.const i32x4 2097152 2097152 2097152 2097152)) (i32.const 22)))
              (v128.const i32x4 0 0 0 0)))
            ;; bytes 0-3: first row's pixel, bytes 4-7: second row's (same row when odd last)
            (if (i32.eq (local.get $ch) (i32.const 4))
              (then
                (v128.store32_lane 0 (local.get $o) (local.get $acc))
                (v128.store32_lane 1 (i32.add (local.get $o) (select (local.get $outStride) (i32.const 0) (local.get $step))) (local.get $acc)))
              (else
                ;; exactly 3 bytes: a 4-byte store would spill into the other row of the pair
                (v128.store16_lane 0 (local.get $o) (local.get $acc))
                (v128.store8_lane offset=2 2 (local.get $o) (local.get $acc))
                (local.set $p (i32.add (local.get $o) (select (local.get $outStride) (i32.const 0) (local.get $step))))
                (v128.store16_lane 2 (local.get $p) (local.get $acc))
                (v128.store8_lane offset=2 6 (local.get $p) (local.get $acc))))
            (local.set $o (i32.add (local.get $o) (local.get $ch)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (local.set $b (i32.add (local.get $b) (i32.const 8)))
            (br $colLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 2)))
        (br $rowLoop))))

  ;; Horizontal pass for 1-byte pixels (mode L), scalar.
  (func (export "hpass1")
    (param $src i32) (param $srcStride i32) (param $rows i32)
    (param $bounds i32) (param $kk i32) (param $ksize i32) (param $outW i32) (param $out i32)
    (local $y i32) (local $row i32) (local $xx i32) (local $b i32) (local $p i32) (local $k i32)
    (local $kEnd i32) (local $s i32) (local $kstride i32)
    (local.set $kstride (i32.shl (local.get $ksize) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $xx (i32.const 0))
        (local.set $b (local.get $bounds))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $k (i32.add (local.get $kk) (i32.mul (local.get $xx) (local.get $kstride))))
            (local.set $p (i32.add (local.get $row) (i32.load (local.get $b))))
            (local.set $kEnd (i32.add (local.get $k) (i32.shl (i32.load offset=4 (local.get $b)) (i32.const 2))))
            (local.set $s (i32.const 2097152))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                (local.set $s (i32.add (local.get $s) (i32.mul (i32.load8_u (local.get $p)) (i32.load (local.get $k)))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $tapLoop)))
            (local.set $s (i32.shr_s (local.get $s) (i32.const 22)))
            (i32.store8 (local.get $out)
              (select (i32.const 0)
                (select (i32.const 255) (local.get $s) (i32.gt_s (local.get $s) (i32.const 255)))
                (i32.lt_s (local.get $s) (i32.const 0))))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (local.set $b (i32.add (local.get $b) (i32.const 8)))
            (br $colLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; Vertical pass: output row yy (of outRows) of `rowLen` bytes is the weighted sum of rows
  ;; bounds[2yy] .. + bounds[2yy+1] of `mid` (row stride `stride`), 16 bytes at a time. The
  ;; last chunk of a row may read and write up to 15 bytes past it: the caller pads both
  ;; buffers, and rows are written in order so the spill is overwritten by the next row.
  (func (export "vpass")
    (param $mid i32) (param $stride i32) (param $rowLen i32)
    (param $bounds i32) (param $kk i32) (param $ksize i32) (param $outRows i32) (param $out i32)
    (local $yy i32) (local $x i32) (local $p i32) (local $k i32) (local $kEnd i32)
    (local $first i32) (local $w v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $o i32) (local $k0 i32)
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $yy) (local.get $outRows)))
        (local.set $first (i32.add (local.get $mid)
          (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3)))) (local.get $stride))))
        (local.set $k0 (i32.add (local.get $kk) (i32.shl (i32.mul (local.get $yy) (local.get $ksize)) (i32.const 2))))
        (local.set $kEnd (i32.add (local.get $k0)
          (i32.shl (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3)))) (i32.const 2))))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $yy) (local.get $rowLen))))
        (local.set $x (i32.const 0))
        (block $chunksDone
          (loop $chunkLoop
            (br_if $chunksDone (i32.ge_u (local.get $x) (local.get $rowLen)))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $first) (local.get $x)))
            (local.set $k (local.get $k0))
            (block $tapsDone
              (loop $tapLoop
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $kEnd)))
                (local.set $w (i32x4.splat (i32.load (local.get $k))))
                (local.set $v (v128.load (local.get $p)))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $w))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $w))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $w))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $w))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $tapLoop)))
            (v128.store (i32.add (local.get $o) (local.get $x))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $chunkLoop)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $rowLoop))))
)
