"""The Lua library every script of :mod:`dedup.store._redis_lua` starts with: the key layout, generations,
linear hashing of postings and ids, records (Redis 7.0).

Keys (``P`` = ``"{name}:"``; ``g`` a time generation; see ``docs/redis.md``)::

    P meta              hash: format, version, settings, generation_seconds, df_depth, df_width
    P seq, P clock      the seq counter (INCRBY) and the latest time stored
    P gens              sorted set of the live generations
    P g:g               hash: linear-hashing state of both tables (pL ps pc, iL is ic), n articles,
                        x (its EXPIREAT, 0: none), dlo dhi (range of record chunks)
    P p:g:a             postings: field = 8-byte bucket key, value = its <= 16 latest seqs (uint32 LE),
                        or "" when the bucket has more and lives in the string P o:g:<bucket key>
    P i:g:a             ids: field = id, value = seq (decimal: a listpack integer)
    P d:g:c             records of seqs c*256 .. c*256+255: field = seq, value = the packed record
    P cm:g              count-min sketch of document frequency: depth x width uint32 (BITFIELD)

Both tables of a generation are linear hash tables (Litwin): address ``a`` of a field with hash
``h`` is ``h mod 2^L``, or ``h mod 2^(L+1)`` below the split pointer ``s``; a table of ``c`` fields
has ``2^L + s`` hashes, split one at a time as ``c`` grows past ``LOAD`` fields per hash, so every
hash stays a small listpack whatever the size of the generation.
"""

from __future__ import annotations

__all__ = ["COMMON"]

COMMON = r"""
local P = ARGV[1]
local LOAD = 32
local PENDING = -2  -- the rep of an article claimed whose verdict is not final yet (dedup.store.redis.PENDING)
local GF = {'pL', 'ps', 'pc', 'iL', 'is', 'ic', 'n', 'x', 'dlo', 'dhi'}
local gens = {}
local function fmt(v) return string.format('%d', v) end
local function hash_of(t, f)
  if t == 'p' then return (struct.unpack('<I4', f)) end
  local h = 5381
  for k = 1, #f do h = (h * 33 + string.byte(f, k)) % 4294967296 end
  return h
end
local function load_gen(g)
  local st = gens[g]
  if st ~= nil then return st end
  local v = redis.call('HMGET', P .. 'g:' .. g, unpack(GF))
  if not v[1] then gens[g] = false; return false end
  st = {}
  for k, name in ipairs(GF) do st[name] = tonumber(v[k]) end
  gens[g] = st
  return st
end
local function tkey(st, t, g, h)
  local m = 2 ^ st[t .. 'L']
  local a = h % m
  if a < st[t .. 's'] then a = h % (2 * m) end
  return P .. t .. ':' .. g .. ':' .. fmt(a)
end
local function live_gens()
  return redis.call('ZRANGE', P .. 'gens', 0, -1)
end
local function rec_key(g, seq) return P .. 'd:' .. g .. ':' .. fmt(math.floor(seq / 256)) end
local function group(fields, key_of)
  local by_key, order = {}, {}
  for _, f in ipairs(fields) do
    local key = key_of(f)
    local list = by_key[key]
    if not list then list = {}; by_key[key] = list; order[#order + 1] = key end
    list[#list + 1] = f
  end
  return by_key, order
end
-- field -> value of `fields` in table t of generation g: one HMGET per hash (per 7,000 fields: a table of few
-- hashes asked for a big batch's fields would pass unpack more values than Lua's stack holds)
local function lookup(st, t, g, fields)
  local by_key, order = group(fields, function(f) return tkey(st, t, g, hash_of(t, f)) end)
  local out = {}
  for _, key in ipairs(order) do
    local list = by_key[key]
    for first = 1, #list, 7000 do
      local last = math.min(#list, first + 6999)
      local got = redis.call('HMGET', key, unpack(list, first, last))
      for k = first, last do if got[k - first + 1] then out[list[k]] = got[k - first + 1] end end
    end
  end
  return out
end
-- the buckets of `fields` in generation g (field -> packed seqs), and which of them live in an overflow string
local function buckets(st, g, fields)
  local vals, over = lookup(st, 'p', g, fields), {}
  for f, v in pairs(vals) do
    if v == '' then over[f] = true; vals[f] = redis.call('GET', P .. 'o:' .. g .. ':' .. f) or nil end
  end
  return vals, over
end
local function find_ids(live, ids)
  local found = {}
  for _, g in ipairs(live) do
    local st = load_gen(g)
    if st then
      for id, v in pairs(lookup(st, 'i', g, ids)) do if not found[id] then found[id] = {tonumber(v), g} end end
    end
  end
  return found
end
-- seq -> {record, its key} of the seqs found, one HMGET per record chunk and live generation
local function find_records(live, seqs)
  local found, names = {}, {}
  for _, s in ipairs(seqs) do names[#names + 1] = fmt(s) end
  for _, g in ipairs(live) do
    if load_gen(g) then
      local by_key, order = group(names, function(f) return rec_key(g, tonumber(f)) end)
      for _, key in ipairs(order) do
        local list = by_key[key]
        local got = redis.call('HMGET', key, unpack(list))
        for k, f in ipairs(list) do if got[k] and not found[f] then found[f] = {got[k], key} end end
      end
    end
  end
  return found
end
-- the `limit` latest members of each bucket `fields` (unique 8-byte bucket keys) in every live generation
-- into `out` (a set of seqs), and into `hits` bucket by bucket: field, its packed seqs, ... (one pair per
-- generation holding the bucket; the client keeps the `limit` latest over the generations)
local function members(live, fields, limit, out, hits, cache)
  for _, g in ipairs(live) do
    local st = load_gen(g)
    if st then
      local vals, over = buckets(st, g, fields)
      if cache then cache[g] = {vals, over} end
      for f, v in pairs(vals) do
        local count = #v / 4
        local from = math.max(0, count - limit)
        for k = from, count - 1 do out[(struct.unpack('<I4', v, 4 * k + 1))] = true end
        hits[#hits + 1] = f
        hits[#hits + 1] = string.sub(v, 4 * from + 1)
      end
    end
  end
end
local function sorted_keys(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
end
local function fields_of(blob, into, seen)
  for k = 1, #blob, 8 do
    local f = string.sub(blob, k, k + 7)
    if not seen[f] then seen[f] = true; into[#into + 1] = f end
  end
end
-- BITFIELD `op` (GET, or INCRBY `by` with OVERFLOW SAT) of the counters named in ARGV[first .. last]
-- ('#offset', pre-formatted by the client: no per-counter string work here), in chunks of at most
-- 7,000 arguments; the values read are appended to `out` (if given)
local function counters(cmd, key, op, by, first, last, out)
  local args, n, base = {}, 0, 0
  if by then args[1] = 'OVERFLOW'; args[2] = 'SAT'; n = 2; base = 2 end
  local m = out and #out or 0
  for k = first, last do
    args[n + 1] = op; args[n + 2] = 'u32'; args[n + 3] = ARGV[k]
    if by then args[n + 4] = by; n = n + 4 else n = n + 3 end
    if n >= 7000 or k == last then
      local got = redis.call(cmd, key, unpack(args, 1, n))
      if out then for j = 1, #got do out[m + j] = got[j] end; m = m + #got end
      n = base
    end
  end
end
-- where a record's rep (int64) starts: byte 1 in the narrow head (flag 128, in byte 24: the top byte of the
-- length in the wide head, always 0 there), byte 25 in the wide head
local function rep_at(v)
  if string.byte(v, 24) >= 128 then return 1 end
  return 25
end
-- a record without its text (texts are kept at the end of the record, after the id, the shingle set (flag 4:
-- Elias-Fano coded, 3 bytes a value and a bitmap of ns + 256 bits), the figures and the lead terms (flag 2;
-- counted in the narrow head, else by a uint16 after the figures)); see dedup.store._redis_records
local function cut(v)
  local ns, nf, tl, il, flags, nt, stop
  if string.byte(v, 24) >= 128 then
    ns, nf, flags, il, nt = struct.unpack('<I2BBBB', v, 21)
    stop = 26 + il
    if bit.band(flags, 48) == 0 then stop = stop + 8 end  -- published written (neither the time nor NaN)
  else
    ns, nf, tl, il, flags = struct.unpack('<I4I4I4I2B', v, 33)
    stop = 47 + il
  end
  if bit.band(flags, 4) ~= 0 then stop = stop + 3 * ns + math.floor((ns + 263) / 8) else stop = stop + 4 * ns end
  stop = stop + 4 * nf
  if nt then stop = stop + 4 * nt
  elseif bit.band(flags, 2) ~= 0 then stop = stop + 2 + 4 * (struct.unpack('<I2', v, stop + 1)) end
  return string.sub(v, 1, stop)
end
-- {seq, record without text, ...} of the seqs (sorted) whose records are still there
local function records_of(live, seqs)
  local found, out = find_records(live, seqs), {}
  for _, s in ipairs(seqs) do
    local hit = found[fmt(s)]
    if hit then out[#out + 1] = s; out[#out + 1] = cut(hit[1]) end
  end
  return out
end
-- articles stored in the live generations (`now`: leave out those whose keys expired in this call)
local function total_len(now)
  local total = 0
  for _, g in ipairs(live_gens()) do
    local st = load_gen(g)
    if st and not (now and st.x > 0 and st.x <= now) then total = total + st.n end
  end
  return total
end
"""
