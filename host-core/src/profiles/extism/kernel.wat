;; Caplet's Extism kernel: the memory-block half of the `extism:host/env` profile.
;;
;; Extism plugins keep their input, output, error message and every buffer they
;; exchange with the host in "Extism memory": blocks addressed by u64 handles,
;; outside the plugin's own linear memory. The byte-wise loads and stores of the
;; PDKs are calls, and in an interpreter a host call costs far more than a call
;; into another wasm instance. So this module is instantiated beside each Extism
;; plugin, in the same store, and the plugin's `alloc`, `free`, `length`,
;; `load_*`, `store_*`, `input_*`, `output_set` and `error_set` imports are its
;; exports: wasm-to-wasm calls, metered by fuel like the plugin's own code.
;;
;; Written for Caplet from Extism's documented semantics; the host side
;; (host-core/src/profiles/extism.rs) reads and writes the same layout.
;;
;; Layout of the memory:
;;   0 .. 16      never a handle (handle 0 means "none")
;;   16 ..        blocks, back to back up to $top:
;;                  h-16: capacity (u64, a multiple of 8)
;;                  h-8:  used length (u64; 0xFFFF_FFFF_FFFF_FFFF when free)
;;                  h ..  h+capacity: the bytes
;; Every load and store is checked against $top (so never against bytes beyond the
;; allocated region) and a handle is never wrapped to 32 bits before it is checked.
;; A corrupted header (the plugin may store anywhere below $top) can only make
;; this plugin's own calls fail: every walk stops at $top and at a capacity that
;; runs past it.
;;
;; Size: wasmi's strict limits (Caplet's engine) refuse a code section of 1,000
;; bytes or more whose functions average under 40 bytes; this one is about 660
;; bytes at about 37. Growing it past 1,000 bytes needs its average kept up too.
(module
  (memory (export "memory") 1)
  (global $top (export "top") (mut i64) (i64.const 16))
  (global $nfree (export "nfree") (mut i32) (i32.const 0))
  (global $in_off (export "input_offset_g") (mut i64) (i64.const 0))
  (global $in_len (export "input_length_g") (mut i64) (i64.const 0))
  (global $out_off (export "output_offset_g") (mut i64) (i64.const 0))
  (global $out_len (export "output_length_g") (mut i64) (i64.const 0))
  (global $err (export "error_g") (mut i64) (i64.const 0))

  ;; The block whose bytes start at $h, walking from the first block: its header
  ;; address, or -1 when $h is not the start of a block.
  (func $find (param $h i64) (result i64)
    (local $p i64) (local $cap i64)
    (local.set $p (i64.const 16))
    (block $done
      (loop $walk
        (br_if $done (i64.ge_u (i64.add (local.get $p) (i64.const 16)) (global.get $top)))
        (local.set $cap (i64.load (i32.wrap_i64 (local.get $p))))
        (if (i64.eq (i64.add (local.get $p) (i64.const 16)) (local.get $h))
          (then (return (local.get $p))))
        ;; a capacity running past $top is corruption: stop
        (br_if $done (i64.gt_u (local.get $cap)
          (i64.sub (global.get $top) (i64.add (local.get $p) (i64.const 16)))))
        (local.set $p (i64.add (local.get $p) (i64.add (local.get $cap) (i64.const 16))))
        (br $walk)))
    (i64.const -1))

  (func (export "alloc") (param $n i64) (result i64)
    (local $cap i64) (local $p i64) (local $c i64) (local $end i64) (local $have i64)
    (if (i64.eqz (local.get $n)) (then (return (i64.const 0))))
    ;; no block is larger than the 4 GiB a 32-bit memory can hold
    (if (i64.gt_u (local.get $n) (i64.const 0xFFFF0000)) (then (return (i64.const 0))))
    (local.set $cap (i64.and (i64.add (local.get $n) (i64.const 7)) (i64.const -8)))
    ;; first fit among freed blocks, only when there are some
    (if (i32.ne (global.get $nfree) (i32.const 0))
      (then
        (local.set $p (i64.const 16))
        (block $done
          (loop $walk
            (br_if $done (i64.ge_u (i64.add (local.get $p) (i64.const 16)) (global.get $top)))
            (local.set $c (i64.load (i32.wrap_i64 (local.get $p))))
            (br_if $done (i64.gt_u (local.get $c)
              (i64.sub (global.get $top) (i64.add (local.get $p) (i64.const 16)))))
            (if (i32.and
                  (i64.eq (i64.load offset=8 (i32.wrap_i64 (local.get $p))) (i64.const -1))
                  (i64.ge_u (local.get $c) (local.get $cap)))
              (then
                (i64.store offset=8 (i32.wrap_i64 (local.get $p)) (local.get $n))
                (global.set $nfree (i32.sub (global.get $nfree) (i32.const 1)))
                (return (i64.add (local.get $p) (i64.const 16)))))
            (local.set $p (i64.add (local.get $p) (i64.add (local.get $c) (i64.const 16))))
            (br $walk)))))
    ;; bump: grow the memory when the block does not fit (refused past the budget)
    (local.set $p (global.get $top))
    (local.set $end (i64.add (i64.add (local.get $p) (i64.const 16)) (local.get $cap)))
    (local.set $have (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.shr_u
                (i64.add (i64.sub (local.get $end) (local.get $have)) (i64.const 65535))
                (i64.const 16))))
              (i32.const -1))
          (then (return (i64.const 0))))))
    (i64.store (i32.wrap_i64 (local.get $p)) (local.get $cap))
    (i64.store offset=8 (i32.wrap_i64 (local.get $p)) (local.get $n))
    (global.set $top (local.get $end))
    (i64.add (local.get $p) (i64.const 16)))

  (func (export "free") (param $h i64)
    (local $p i64)
    (local.set $p (call $find (local.get $h)))
    (if (i64.lt_s (local.get $p) (i64.const 0)) (then (return)))
    (if (i64.eq (i64.load offset=8 (i32.wrap_i64 (local.get $p))) (i64.const -1))
      (then (return)))
    ;; the last block gives its bytes back; any other is marked free for reuse
    (if (i64.eq (i64.add (local.get $h) (i64.load (i32.wrap_i64 (local.get $p))))
                (global.get $top))
      (then (global.set $top (local.get $p)) (return)))
    (i64.store offset=8 (i32.wrap_i64 (local.get $p)) (i64.const -1))
    (global.set $nfree (i32.add (global.get $nfree) (i32.const 1))))

  (func (export "length") (param $h i64) (result i64)
    (local $p i64) (local $used i64)
    (local.set $p (call $find (local.get $h)))
    (if (i64.lt_s (local.get $p) (i64.const 0)) (then (return (i64.const 0))))
    (local.set $used (i64.load offset=8 (i32.wrap_i64 (local.get $p))))
    (if (result i64) (i64.eq (local.get $used) (i64.const -1))
      (then (i64.const 0)) (else (local.get $used))))

  (func (export "length_unsafe") (param $h i64) (result i64)
    (local $used i64)
    (if (i32.or (i64.lt_u (local.get $h) (i64.const 32))
                (i64.gt_u (local.get $h) (global.get $top)))
      (then (return (i64.const 0))))
    (local.set $used (i64.load (i32.wrap_i64 (i64.sub (local.get $h) (i64.const 8)))))
    (if (result i64) (i64.eq (local.get $used) (i64.const -1))
      (then (i64.const 0)) (else (local.get $used))))

  (func (export "load_u8") (param $p i64) (result i32)
    (if (i64.ge_u (local.get $p) (global.get $top)) (then (return (i32.const 0))))
    (i32.load8_u (i32.wrap_i64 (local.get $p))))

  (func (export "load_u64") (param $p i64) (result i64)
    (if (i64.gt_u (local.get $p) (i64.sub (global.get $top) (i64.const 8)))
      (then (return (i64.const 0))))
    (i64.load (i32.wrap_i64 (local.get $p))))

  (func (export "store_u8") (param $p i64) (param $v i32)
    (if (i64.ge_u (local.get $p) (global.get $top)) (then (return)))
    (i32.store8 (i32.wrap_i64 (local.get $p)) (local.get $v)))

  (func (export "store_u64") (param $p i64) (param $v i64)
    (if (i64.gt_u (local.get $p) (i64.sub (global.get $top) (i64.const 8)))
      (then (return)))
    (i64.store (i32.wrap_i64 (local.get $p)) (local.get $v)))

  (func (export "input_length") (result i64) (global.get $in_len))
  (func (export "input_offset") (result i64) (global.get $in_off))

  (func (export "input_load_u8") (param $o i64) (result i32)
    (if (i64.ge_u (local.get $o) (global.get $in_len)) (then (return (i32.const 0))))
    (i32.load8_u (i32.wrap_i64 (i64.add (global.get $in_off) (local.get $o)))))

  (func (export "input_load_u64") (param $o i64) (result i64)
    (if (i32.or (i64.lt_u (global.get $in_len) (i64.const 8))
                (i64.gt_u (local.get $o) (i64.sub (global.get $in_len) (i64.const 8))))
      (then (return (i64.const 0))))
    (i64.load (i32.wrap_i64 (i64.add (global.get $in_off) (local.get $o)))))

  (func (export "output_set") (param $p i64) (param $n i64)
    (global.set $out_off (local.get $p))
    (global.set $out_len (local.get $n)))

  (func (export "output_length") (result i64) (global.get $out_len))
  (func (export "output_offset") (result i64) (global.get $out_off))

  (func (export "error_set") (param $h i64)
    (global.set $err (local.get $h)))

  (func (export "reset")
    (global.set $top (i64.const 16))
    (global.set $nfree (i32.const 0))
    (global.set $in_off (i64.const 0))
    (global.set $in_len (i64.const 0))
    (global.set $out_off (i64.const 0))
    (global.set $out_len (i64.const 0))
    (global.set $err (i64.const 0)))
)
