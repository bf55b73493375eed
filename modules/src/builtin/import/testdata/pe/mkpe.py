"""Small deterministic PE files for the PE-object tests."""
import struct, random

def align(n, a): return (n + a - 1) // a * a

def make_pe(bits=32, dll=False, timestamp=0x5F000000, imports=None, pdb=None,
            extra_empty_section=True, zero_data=True, vsize_zero_rdata=False, rsrc=False, ep_rva=0x1010):
    rnd = random.Random(bits * 7 + dll)
    FA, SA = 0x200, 0x1000
    base = 0x400000 if bits == 32 else 0x140000000
    text = bytes(rnd.randrange(256) for _ in range(0x180)) + b'\xc3' * 0x10
    # .rdata: imports and debug directory
    rdata_rva = 0x2000
    rd = bytearray(0x400)
    imp_dir = (0, 0); dbg_dir = (0, 0)
    if imports:
        ptr = 8 if bits == 64 else 4
        ndesc = len(imports) + 1
        desc_off = 0
        cur = ndesc * 20
        names = []
        thunks = []
        for dllname, funcs in imports:
            ilt_off = cur; cur += (len(funcs) + 1) * ptr
            iat_off = cur; cur += (len(funcs) + 1) * ptr
            thunks.append((dllname, funcs, ilt_off, iat_off))
        entries = []
        for i, (dllname, funcs, ilt_off, iat_off) in enumerate(thunks):
            vals = []
            for f in funcs:
                if isinstance(f, int):
                    vals.append((1 << (ptr * 8 - 1)) | f)
                else:
                    hn = cur; rd[hn:hn+2] = b'\0\0'; nb = f.encode() + b'\0'
                    rd[hn+2:hn+2+len(nb)] = nb; cur = align(hn + 2 + len(nb), 2)
                    vals.append(rdata_rva + hn)
            for j, v in enumerate(vals + [0]):
                fmt = '<Q' if ptr == 8 else '<I'
                struct.pack_into(fmt, rd, ilt_off + j * ptr, v)
                struct.pack_into(fmt, rd, iat_off + j * ptr, v)
            nm = cur; nb = dllname.encode() + b'\0'; rd[nm:nm+len(nb)] = nb; cur = align(nm + len(nb), 4)
            struct.pack_into('<IIIII', rd, desc_off + i * 20, rdata_rva + ilt_off, 0, 0, rdata_rva + nm, rdata_rva + iat_off)
        imp_dir = (rdata_rva, ndesc * 20)
    else:
        cur = 0
    if pdb:
        cur = align(cur, 4)
        dbg = cur; cur += 28
        cv = cur
        rec = b'RSDS' + bytes(range(16)) + struct.pack('<I', 1) + pdb.encode() + b'\0'
        rd[cv:cv+len(rec)] = rec; cur += len(rec)
        struct.pack_into('<IIHHIIII', rd, dbg, 0, timestamp, 0, 0, 2, len(rec), rdata_rva + cv, 0x400 + cv)
        dbg_dir = (rdata_rva + dbg, 28)
    rdata = bytes(rd[:align(max(cur, 1), 16)])
    data = bytes(0x200) if zero_data else bytes(rnd.randrange(4) for _ in range(0x200))
    secs = [(b'.text', 0x1000, text), (b'.rdata', 0x2000, rdata), (b'.data', 0x3000, data)]
    if rsrc:
        secs.append((b'.rsrc', 0x4000, bytes(rnd.randrange(256) for _ in range(0x100))))
    nsec = len(secs) + (1 if extra_empty_section else 0)
    opt_size = 0xE0 if bits == 32 else 0xF0
    hdr_end = 0x40 + 4 + 20 + opt_size + 40 * nsec
    size_headers = align(hdr_end, FA)
    # file layout
    raw = size_headers
    layout = []
    for name, rva, content in secs:
        rs = align(len(content), FA)
        layout.append((name, rva, content, raw, rs))
        raw += rs
    size_image = align(0x1000 + len(secs) * SA + (SA if extra_empty_section else 0), SA)
    out = bytearray(raw)
    out[0:2] = b'MZ'; struct.pack_into('<I', out, 0x3c, 0x40)
    out[0x40:0x44] = b'PE\0\0'
    machine = 0x14c if bits == 32 else 0x8664
    ch = 0x0002 | (0x0100 if bits == 32 else 0x0020) | (0x2000 if dll else 0)
    struct.pack_into('<HHIIIHH', out, 0x44, machine, nsec, timestamp, 0, 0, opt_size, ch)
    o = 0x58
    if bits == 32:
        struct.pack_into('<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII', out, o, 0x10b, 14, 0, 0x200, 0x600, 0, ep_rva, 0x1000, 0x2000,
                         base, SA, FA, 6, 0, 0, 0, 6, 0, 0, size_image, size_headers, 0, 3, 0x8140, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
        dd = o + 96
    else:
        struct.pack_into('<HBBIIIIIQIIHHHHHHIIIIHHQQQQII', out, o, 0x20b, 14, 0, 0x200, 0x600, 0, ep_rva, 0x1000,
                         base, SA, FA, 6, 0, 0, 0, 6, 0, 0, size_image, size_headers, 0, 3, 0x8160, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
        dd = o + 112
    struct.pack_into('<II', out, dd + 8, *imp_dir)
    struct.pack_into('<II', out, dd + 6 * 8, *dbg_dir)
    sh = dd + 16 * 8
    for i, (name, rva, content, off, rs) in enumerate(layout):
        vs = 0 if (vsize_zero_rdata and name == b'.rdata') else len(content)
        chars = {b'.text': 0x60000020, b'.rdata': 0x40000040, b'.data': 0xC0000040, b'.rsrc': 0x40000040}[name]
        struct.pack_into('<8sIIIIIIHHI', out, sh + 40 * i, name, vs, rva, rs, off, 0, 0, 0, 0, chars)
        out[off:off+len(content)] = content
    if extra_empty_section:
        struct.pack_into('<8sIIIIIIHHI', out, sh + 40 * len(layout), b'', 0x100, 0x1000 + len(secs) * SA, 0, 0, 0, 0, 0, 0, 0xC0000080)
    return bytes(out)
