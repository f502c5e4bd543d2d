//go:build !purego

#include "textflag.h"

// SSE2 kernels for the byte unshuffle and the bit untranspose. SSE2 is part
// of the amd64 baseline, so these need no CPU feature check. Each processes
// 16 elements (or 16 bytes of each bit row) per iteration; the Go callers
// handle the rest.

// func unshuffle2SSE2(dst, src *byte, m, n int)
// Streams j=0,1 start at src+j*m; n (a multiple of 16) elements.
TEXT ·unshuffle2SSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	XORQ AX, AX

loop2:
	CMPQ   AX, CX
	JAE    done2
	MOVOU  (SI)(AX*1), X0
	MOVOU  (R8)(AX*1), X1
	MOVO   X0, X2
	PUNPCKLBW X1, X0
	PUNPCKHBW X1, X2
	MOVOU  X0, (DI)
	MOVOU  X2, 16(DI)
	ADDQ   $32, DI
	ADDQ   $16, AX
	JMP    loop2

done2:
	RET

// func unshuffle4SSE2(dst, src *byte, m, n int)
TEXT ·unshuffle4SSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	XORQ AX, AX

loop4:
	CMPQ   AX, CX
	JAE    done4
	MOVOU  (SI)(AX*1), X0
	MOVOU  (R8)(AX*1), X1
	MOVOU  (R9)(AX*1), X2
	MOVOU  (R10)(AX*1), X3
	MOVO   X0, X4
	PUNPCKLBW X1, X0 // a0 b0 .. a7 b7
	PUNPCKHBW X1, X4 // a8 b8 .. a15 b15
	MOVO   X2, X5
	PUNPCKLBW X3, X2 // c0 d0 .. c7 d7
	PUNPCKHBW X3, X5 // c8 d8 .. c15 d15
	MOVO   X0, X6
	PUNPCKLWL X2, X0 // elements 0..3
	PUNPCKHWL X2, X6 // elements 4..7
	MOVO   X4, X7
	PUNPCKLWL X5, X4 // elements 8..11
	PUNPCKHWL X5, X7 // elements 12..15
	MOVOU  X0, (DI)
	MOVOU  X6, 16(DI)
	MOVOU  X4, 32(DI)
	MOVOU  X7, 48(DI)
	ADDQ   $64, DI
	ADDQ   $16, AX
	JMP    loop4

done4:
	RET

// func unshuffle8SSE2(dst, src *byte, m, n int)
TEXT ·unshuffle8SSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), R14
	XORQ AX, AX

loop8:
	CMPQ   AX, CX
	JAE    done8
	MOVOU  (SI)(AX*1), X0
	MOVOU  (R8)(AX*1), X1
	MOVOU  (R9)(AX*1), X2
	MOVOU  (R10)(AX*1), X3
	MOVOU  (R11)(AX*1), X4
	MOVOU  (R12)(AX*1), X5
	MOVOU  (R13)(AX*1), X6
	MOVOU  (R14)(AX*1), X7
	// bytes -> 16-bit pairs
	MOVO   X0, X8
	PUNPCKLBW X1, X0 // s0s1 el 0..7
	PUNPCKHBW X1, X8 // s0s1 el 8..15
	MOVO   X2, X9
	PUNPCKLBW X3, X2 // s2s3 el 0..7
	PUNPCKHBW X3, X9
	MOVO   X4, X10
	PUNPCKLBW X5, X4 // s4s5 el 0..7
	PUNPCKHBW X5, X10
	MOVO   X6, X11
	PUNPCKLBW X7, X6 // s6s7 el 0..7
	PUNPCKHBW X7, X11
	// pairs -> 32-bit quads
	MOVO   X0, X1
	PUNPCKLWL X2, X0 // s0..s3 el 0..3
	PUNPCKHWL X2, X1 // s0..s3 el 4..7
	MOVO   X8, X3
	PUNPCKLWL X9, X8 // s0..s3 el 8..11
	PUNPCKHWL X9, X3 // s0..s3 el 12..15
	MOVO   X4, X5
	PUNPCKLWL X6, X4 // s4..s7 el 0..3
	PUNPCKHWL X6, X5 // s4..s7 el 4..7
	MOVO   X10, X7
	PUNPCKLWL X11, X10 // s4..s7 el 8..11
	PUNPCKHWL X11, X7  // s4..s7 el 12..15
	// quads -> elements
	MOVO   X0, X2
	PUNPCKLLQ X4, X0 // el 0,1
	PUNPCKHLQ X4, X2 // el 2,3
	MOVO   X1, X6
	PUNPCKLLQ X5, X1 // el 4,5
	PUNPCKHLQ X5, X6 // el 6,7
	MOVO   X8, X9
	PUNPCKLLQ X10, X8 // el 8,9
	PUNPCKHLQ X10, X9 // el 10,11
	MOVO   X3, X11
	PUNPCKLLQ X7, X3  // el 12,13
	PUNPCKHLQ X7, X11 // el 14,15
	MOVOU  X0, (DI)
	MOVOU  X2, 16(DI)
	MOVOU  X1, 32(DI)
	MOVOU  X6, 48(DI)
	MOVOU  X8, 64(DI)
	MOVOU  X9, 80(DI)
	MOVOU  X3, 96(DI)
	MOVOU  X11, 112(DI)
	ADDQ   $128, DI
	ADDQ   $16, AX
	JMP    loop8

done8:
	RET

DATA bitmask7<>+0(SB)/8, $0x00aa00aa00aa00aa
DATA bitmask7<>+8(SB)/8, $0x00aa00aa00aa00aa
GLOBL bitmask7<>(SB), RODATA|NOPTR, $16
DATA bitmask14<>+0(SB)/8, $0x0000cccc0000cccc
DATA bitmask14<>+8(SB)/8, $0x0000cccc0000cccc
GLOBL bitmask14<>(SB), RODATA|NOPTR, $16
DATA bitmask28<>+0(SB)/8, $0x00000000f0f0f0f0
DATA bitmask28<>+8(SB)/8, $0x00000000f0f0f0f0
GLOBL bitmask28<>(SB), RODATA|NOPTR, $16

// TRANSBITS transposes the 8x8 bit matrix in each 64-bit lane of X
// (transposeBits8x8), using T as scratch.
#define TRANSBITS(X, T) \
	MOVO X, T; PSRLQ $7, T; PXOR X, T; PAND X13, T; PXOR T, X; PSLLQ $7, T; PXOR T, X; \
	MOVO X, T; PSRLQ $14, T; PXOR X, T; PAND X14, T; PXOR T, X; PSLLQ $14, T; PXOR T, X; \
	MOVO X, T; PSRLQ $28, T; PXOR X, T; PAND X15, T; PXOR T, X; PSLLQ $28, T; PXOR T, X

// func untransposeBitsSSE2(dst, src *byte, r, n int)
// Rows b=0..7 start at src+b*r; n (a multiple of 16) bytes of each row
// are turned into 8*n bytes at dst.
TEXT ·untransposeBitsSSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ r+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), R14
	MOVOU bitmask7<>(SB), X13
	MOVOU bitmask14<>(SB), X14
	MOVOU bitmask28<>(SB), X15
	XORQ AX, AX

loopb:
	CMPQ   AX, CX
	JAE    doneb
	MOVOU  (SI)(AX*1), X0
	MOVOU  (R8)(AX*1), X1
	MOVOU  (R9)(AX*1), X2
	MOVOU  (R10)(AX*1), X3
	MOVOU  (R11)(AX*1), X4
	MOVOU  (R12)(AX*1), X5
	MOVOU  (R13)(AX*1), X6
	MOVOU  (R14)(AX*1), X7
	// The same byte transpose as unshuffle8: afterwards each 64-bit lane
	// holds byte i of rows 0..7.
	MOVO   X0, X8
	PUNPCKLBW X1, X0
	PUNPCKHBW X1, X8
	MOVO   X2, X9
	PUNPCKLBW X3, X2
	PUNPCKHBW X3, X9
	MOVO   X4, X10
	PUNPCKLBW X5, X4
	PUNPCKHBW X5, X10
	MOVO   X6, X11
	PUNPCKLBW X7, X6
	PUNPCKHBW X7, X11
	MOVO   X0, X1
	PUNPCKLWL X2, X0
	PUNPCKHWL X2, X1
	MOVO   X8, X3
	PUNPCKLWL X9, X8
	PUNPCKHWL X9, X3
	MOVO   X4, X5
	PUNPCKLWL X6, X4
	PUNPCKHWL X6, X5
	MOVO   X10, X7
	PUNPCKLWL X11, X10
	PUNPCKHWL X11, X7
	MOVO   X0, X2
	PUNPCKLLQ X4, X0 // i 0,1
	PUNPCKHLQ X4, X2 // i 2,3
	MOVO   X1, X6
	PUNPCKLLQ X5, X1 // i 4,5
	PUNPCKHLQ X5, X6 // i 6,7
	MOVO   X8, X9
	PUNPCKLLQ X10, X8 // i 8,9
	PUNPCKHLQ X10, X9 // i 10,11
	MOVO   X3, X11
	PUNPCKLLQ X7, X3  // i 12,13
	PUNPCKHLQ X7, X11 // i 14,15
	TRANSBITS(X0, X12)
	TRANSBITS(X2, X12)
	TRANSBITS(X1, X12)
	TRANSBITS(X6, X12)
	TRANSBITS(X8, X12)
	TRANSBITS(X9, X12)
	TRANSBITS(X3, X12)
	TRANSBITS(X11, X12)
	MOVOU  X0, (DI)
	MOVOU  X2, 16(DI)
	MOVOU  X1, 32(DI)
	MOVOU  X6, 48(DI)
	MOVOU  X8, 64(DI)
	MOVOU  X9, 80(DI)
	MOVOU  X3, 96(DI)
	MOVOU  X11, 112(DI)
	ADDQ   $128, DI
	ADDQ   $16, AX
	JMP    loopb

doneb:
	RET
