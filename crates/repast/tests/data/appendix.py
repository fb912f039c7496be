# Reference values for tests/appendix.rs: the numpy code of Appendix A of the
# RePAST modelling brief, verbatim, run on a small fixed case.
# Run: python3 appendix.py  (numpy). The printed numbers are pasted into the test.
#
# One fix to the brief's code, marked FIX below: in inv8, `hi = code` for the
# last slice aliases the array, so `code -= hi*2**sh` zeroes both and the last
# input slice is silently dropped (with s_b = 1 the solve returns 0). The
# verbatim line is kept in a comment; VERBATIM=1 runs it unfixed.
import os
import numpy as np
def q(v,bits,fs): l=fs/2**(bits-1); return np.clip(np.round(v/l),-(2**(bits-1)),2**(bits-1)-1)*l
def fs2(v): m=np.max(np.abs(v)); return 2.0**np.ceil(np.log2(m)) if m>0 else 1.0
def split16(A):                      # 16-bit fixed point -> 8-bit A_H + 8-bit A_L (rounded split)
    lsb=fs2(A)/2**15; M=np.round(A/lsb); MH=np.round(M/2**8)*2**8; return MH*lsb,(M-MH)*lsb
def inv8(AH,b,s_b=2,dac=8,adc=8):    # analog INV with input slicing, 8-bit auto-ranged ADC per slice
    tot=dac*s_b; l=fs2(b)/2**(tot-1); code=np.round(b/l).astype(np.int64); x=np.zeros_like(b)
    for s in range(s_b):
        # verbatim: sh=dac*(s_b-1-s); hi=np.round(code/2**sh).astype(np.int64) if sh else code; code-=hi*2**sh
        sh=dac*(s_b-1-s); hi=np.round(code/2**sh).astype(np.int64) if sh else (code if os.environ.get("VERBATIM") else code.copy()); code-=hi*2**sh  # FIX
        bs=hi*l*2**sh
        if np.any(bs): xs=np.linalg.solve(AH,bs); x+=q(xs,adc,fs2(xs))
    return x
def inv_x(AH,b,c_x=2,**k):           # output slicing: residual re-solve (slides, level x)
    x=inv8(AH,b,**k)
    for _ in range(c_x-1): x=x+inv8(AH,b-AH@x,**k)
    return x
def hp_inv(A,b,K,c_x=2,**k):         # Taylor series on A = A_H + A_L (slides, level A)
    AH,AL=split16(A); r=inv_x(AH,b,c_x,**k); x=r.copy()
    for i in range(K): r=inv_x(AH,AL@r,c_x,**k); x=x-r if i%2==0 else x+r
    return x

n=12
A=np.array([[0.3/(1.0+abs(i-j))+0.01*np.cos(i*j) for j in range(n)] for i in range(n)])
A=(A+A.T)/2+0.35*np.eye(n)
b=np.array([np.sin(i+1.0) for i in range(n)])
np.set_printoptions(precision=17)
for K,cx,sb in [(0,1,1),(3,2,2),(4,3,1)]:
    x=hp_inv(A,b,K,c_x=cx,s_b=sb)
    print(f"// K={K} c_x={cx} s_b={sb}")
    print("&[" + ", ".join(repr(float(v)) for v in x) + "],")
