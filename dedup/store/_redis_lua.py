"""The Lua scripts of :class:`dedup.store.redis.RedisStore` (Redis 7.0, one EVALSHA per batch), each the
library of :mod:`dedup.store._redis_lualib` (key layout, generations, linear hashing) and its own body.

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

from ._redis_lualib import COMMON as _COMMON

__all__ = ["CLAIM", "CONTAINS", "DF", "EVICT", "FETCH", "FINALIZE", "LEN", "MEMBERS", "REMOVE"]

# ARGV: P, id...  ->  per id 0 (not stored), 1 (stored, its verdict final) or 2 (claimed, no verdict yet: rep PENDING)
CONTAINS = (
    _COMMON
    + r"""
local ids = {}
for k = 2, #ARGV do ids[#ids + 1] = ARGV[k] end
local live = live_gens()
local found, seqs, out = find_ids(live, ids), {}, {}
for _, hit in pairs(found) do seqs[#seqs + 1] = hit[1] end
local recs = find_records(live, seqs)
for k, id in ipairs(ids) do
  local hit = found[id]
  local rec = hit and recs[fmt(hit[1])]
  out[k] = hit and ((rec and struct.unpack('<i8', rec[1], rep_at(rec[1])) == PENDING) and 2 or 1) or 0
end
return out
"""
)

LEN = (
    _COMMON
    + r"""
return total_len()
"""
)

# ARGV: P, limit, bucket keys blob...  ->  {sorted member seqs, {seq, record without text, ...}, articles stored,
#   {bucket key, its member seqs, ...}} (the records, the count and the buckets that verification needs come back
#   with the members: one round trip)
MEMBERS = (
    _COMMON
    + r"""
local limit, fields, seen, out, hits = tonumber(ARGV[2]), {}, {}, {}, {}
for k = 3, #ARGV do fields_of(ARGV[k], fields, seen) end
local live = live_gens()
members(live, fields, limit, out, hits)
local list = sorted_keys(out)
return {list, records_of(live, list), total_len(), hits}
"""
)

# ARGV: P, texts (0/1), seq...  ->  {seq, record, ...} of the records found (text cut when texts=0), in order
FETCH = (
    _COMMON
    + r"""
local texts, seqs = ARGV[2] == '1', {}
for k = 3, #ARGV do seqs[#seqs + 1] = tonumber(ARGV[k]) end
local found, out = find_records(live_gens(), seqs), {}
for _, s in ipairs(seqs) do
  local hit = found[fmt(s)]
  if hit then
    out[#out + 1] = s
    out[#out + 1] = texts and hit[1] or cut(hit[1])
  end
end
return out
"""
)

# ARGV: P, seq, rep, seq, rep, ...  ->  how many records were found and updated
FINALIZE = (
    _COMMON
    + r"""
local seqs, rep = {}, {}
for k = 2, #ARGV, 2 do seqs[#seqs + 1] = tonumber(ARGV[k]); rep[ARGV[k]] = tonumber(ARGV[k + 1]) end
local done = 0
for name, hit in pairs(find_records(live_gens(), seqs)) do
  local v, at = hit[1], rep_at(hit[1])
  redis.call('HSET', hit[2], name, string.sub(v, 1, at - 1) .. struct.pack('<i8', rep[name]) .. string.sub(v, at + 8))
  done = done + 1
end
return done
"""
)

# ARGV: P, then the counters to read ('#offset', any order)  ->  per live generation, their values
# separated by spaces (the client takes the minimum over the rows and sums the generations)
DF = (
    _COMMON
    + r"""
local out = {}
for _, g in ipairs(live_gens()) do
  if load_gen(g) then
    local got = {}
    counters('BITFIELD_RO', P .. 'cm:' .. g, 'GET', nil, 2, #ARGV, got)
    out[#out + 1] = table.concat(got, ' ')
  end
end
return out
"""
)

REMOVE = (
    _COMMON
    + r"""
local ids = {}
for k = 2, #ARGV do ids[#ids + 1] = ARGV[k] end
local removed = 0
for id, hit in pairs(find_ids(live_gens(), ids)) do
  local seq, g = hit[1], hit[2]
  local st = gens[g]
  redis.call('HDEL', tkey(st, 'i', g, hash_of('i', id)), id)
  redis.call('HDEL', rec_key(g, seq), fmt(seq))
  redis.call('HINCRBY', P .. 'g:' .. g, 'n', -1)
  removed = removed + 1
end
return removed
"""
)

# ARGV: P, time, span  ->  articles dropped with the generations that end at or before time
EVICT = (
    _COMMON
    + r"""
local time, span, evicted = tonumber(ARGV[2]), tonumber(ARGV[3]), 0
for _, g in ipairs(live_gens()) do
  if (tonumber(g) + 1) * span <= time then
    local st = load_gen(g)
    if st then
      evicted = evicted + st.n
      for _, t in ipairs({'p', 'i'}) do
        for a = 0, 2 ^ st[t .. 'L'] + st[t .. 's'] - 1 do redis.call('UNLINK', P .. t .. ':' .. g .. ':' .. fmt(a)) end
      end
      for c = st.dlo, st.dhi do redis.call('UNLINK', P .. 'd:' .. g .. ':' .. fmt(c)) end
      for _, key in ipairs(redis.call('SMEMBERS', P .. 'ov:' .. g)) do redis.call('UNLINK', key) end
      redis.call('UNLINK', P .. 'ov:' .. g, P .. 'cm:' .. g, P .. 'g:' .. g)
    end
    redis.call('ZREM', P .. 'gens', g)
  end
end
return evicted
"""
)

# ARGV: P, limit (0: no members), n, window (-1: none), span, sketch bytes (4 * depth * width),
#   fresh ('1'/'0' per article: the client's guess of which articles are new), then per article:
#   id, generation, time, record, bucket keys (8 bytes per band; "" for an empty document);
#   then the sketch increments of the fresh articles, aggregated by the client: the number of
#   generations, per generation: g, the number of groups, per group (increment, counters); then every
#   group's counters ('#offset', sorted), in that order
# -> {seq per article (-1 - seq for an id already stored), sorted seqs of the bucket members stored
#     before this call, {seq, record without text, ...} of those members, articles stored,
#     {bucket key, its member seqs, ...}}
#    or {'retry', fresh}: the guess was wrong (an id already stored), nothing was written
CLAIM = (
    _COMMON
    + r"""
local limit, n = tonumber(ARGV[2]), tonumber(ARGV[3])
local window, span, sketch_bytes, guess = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local keep = math.max(limit, 1)
local function arg(k, field) return ARGV[8 + 5 * (k - 1) + field] end  -- field 0 id .. 4 bucket keys
local live, touched, now = live_gens(), {}, tonumber(redis.call('TIME')[1])
for _, g in ipairs(live) do if not load_gen(g) then redis.call('ZREM', P .. 'gens', g) end end
-- (1) ids already stored (or twice in the batch) get -1 - their seq; the others consecutive new seqs
local ids = {}
for k = 1, n do ids[k] = arg(k, 0) end
local known, seqs, fresh, first_of, again, rows = find_ids(live, ids), {}, 0, {}, {}, {}
for k, id in ipairs(ids) do
  if known[id] then seqs[k] = -1 - known[id][1]
  elseif first_of[id] then again[k] = first_of[id]
  else seqs[k] = fresh; fresh = fresh + 1; first_of[id] = k; rows[#rows + 1] = k end
end
do  -- the sketch increments were aggregated over the articles the client took for new: check, before writing
  local mask = {}
  for k = 1, n do mask[k] = '0' end
  for _, k in ipairs(rows) do mask[k] = '1' end
  mask = table.concat(mask)
  if mask ~= guess then return {'retry', mask} end
end
local clock = tonumber(redis.call('GET', P .. 'clock') or '') or -math.huge
for k = 1, n do clock = math.max(clock, tonumber(arg(k, 2))) end
redis.call('SET', P .. 'clock', string.format('%.17g', clock))
local base = redis.call('INCRBY', P .. 'seq', fresh) - fresh
for _, k in ipairs(rows) do seqs[k] = base + seqs[k] end
for k, first in pairs(again) do seqs[k] = -1 - seqs[first] end
-- the sketch section: generation -> {{increment, first, last}, ...} (ranges of ARGV)
local sketch = {}
do
  local at = 8 + 5 * n
  local heads = {}
  for i = 1, tonumber(ARGV[at]) do
    local g, groups, list = ARGV[at + 1], tonumber(ARGV[at + 2]), {}
    at = at + 2
    for j = 1, groups do list[j] = {ARGV[at + 1], tonumber(ARGV[at + 2])}; at = at + 2 end
    heads[i] = {g, list}
  end
  local tok = at + 1
  for _, h in ipairs(heads) do
    local ranges = {}
    for j, grp in ipairs(h[2]) do ranges[j] = {grp[1], tok, tok + grp[2] - 1}; tok = tok + grp[2] end
    sketch[h[1]] = ranges
  end
end
-- (2) the members stored before this call
local found, hits, cache, fields = {}, {}, {}, {}
do
  local seen = {}
  for _, k in ipairs(rows) do fields_of(arg(k, 4), fields, seen) end
end
if limit > 0 then members(live, fields, limit, found, hits, cache) end
-- (3) store the new articles, generation by generation
local function split(st, t, g)
  local m = 2 ^ st[t .. 'L']
  local s = st[t .. 's']
  local old, new = P .. t .. ':' .. g .. ':' .. fmt(s), P .. t .. ':' .. g .. ':' .. fmt(s + m)
  local all, moved, gone = redis.call('HGETALL', old), {}, {}
  for k = 1, #all, 2 do
    if hash_of(t, all[k]) % (2 * m) ~= s then
      moved[#moved + 1] = all[k]; moved[#moved + 1] = all[k + 1]; gone[#gone + 1] = all[k]
    end
  end
  if #gone > 0 then
    redis.call('HSET', new, unpack(moved))
    redis.call('HDEL', old, unpack(gone))
    touched[new] = st.x
  end
  s = s + 1
  if s == m then st[t .. 'L'] = st[t .. 'L'] + 1; s = 0 end
  st[t .. 's'] = s
end
-- write field -> value into table t of generation g, `added` of them new: split first, then one HSET per hash
local function write(st, t, g, values, added)
  st[t .. 'c'] = st[t .. 'c'] + added
  while st[t .. 'c'] > LOAD * (2 ^ st[t .. 'L'] + st[t .. 's']) do split(st, t, g) end
  local names = {}
  for f in pairs(values) do names[#names + 1] = f end
  local by_key, order = group(names, function(f) return tkey(st, t, g, hash_of(t, f)) end)
  for _, key in ipairs(order) do
    local args = {}
    for _, f in ipairs(by_key[key]) do args[#args + 1] = f; args[#args + 1] = values[f] end
    redis.call('HSET', key, unpack(args))
    touched[key] = st.x
  end
end
local by_gen, order = {}, {}
for _, k in ipairs(rows) do
  local g = arg(k, 1)
  if not by_gen[g] then by_gen[g] = {}; order[#order + 1] = g end
  table.insert(by_gen[g], k)
end
for _, g in ipairs(order) do
  local st, batch = load_gen(g), by_gen[g]
  if not st then
    local x = 0
    if window >= 0 and span > 0 then x = now + math.max(0, math.ceil((tonumber(g) + 1) * span + window - clock)) end
    st = {pL = 0, ps = 0, pc = 0, iL = 0, is = 0, ic = 0, n = 0, x = x, dlo = math.huge, dhi = -1}
    gens[g] = st
    redis.call('ZADD', P .. 'gens', tonumber(g), g)
    local cm = P .. 'cm:' .. g  -- allocated whole at once (grown by BITFIELD it would take twice the room)
    if redis.call('EXISTS', cm) == 0 then redis.call('SETRANGE', cm, sketch_bytes - 1, '\0') end
  end
  -- records, one HSET per chunk of 256 seqs
  local names, blob = {}, {}
  for _, k in ipairs(batch) do
    local s = seqs[k]
    names[#names + 1] = fmt(s); blob[fmt(s)] = arg(k, 3)
    local c = math.floor(s / 256)
    st.dlo, st.dhi = math.min(st.dlo, c), math.max(st.dhi, c)
  end
  local by_key, keys = group(names, function(f) return rec_key(g, tonumber(f)) end)
  for _, key in ipairs(keys) do
    local args = {}
    for _, f in ipairs(by_key[key]) do args[#args + 1] = f; args[#args + 1] = blob[f] end
    redis.call('HSET', key, unpack(args))
    touched[key] = st.x
  end
  -- ids
  local id_values = {}
  for _, k in ipairs(batch) do id_values[ids[k]] = fmt(seqs[k]) end
  write(st, 'i', g, id_values, #batch)
  -- postings: each bucket its `keep` latest seqs; more than 16 (64 bytes) go to an overflow string
  local vals, over
  if cache[g] then vals, over = cache[g][1], cache[g][2]
  elseif st.pc > 0 then
    local mine, seen = {}, {}
    for _, k in ipairs(batch) do fields_of(arg(k, 4), mine, seen) end
    vals, over = buckets(st, g, mine)
  else vals, over = {}, {} end
  local values, added = {}, 0
  for _, k in ipairs(batch) do
    local keys_blob, packed = arg(k, 4), struct.pack('<I4', seqs[k])
    for b = 1, #keys_blob, 8 do
      local f = string.sub(keys_blob, b, b + 7)
      local v = values[f] or vals[f]
      if not v then v = ''; if not over[f] then added = added + 1 end end
      v = v .. packed
      if #v > 4 * keep then v = string.sub(v, #v - 4 * keep + 1) end
      values[f] = v
    end
  end
  for f, v in pairs(values) do
    if over[f] or #v > 64 then
      local okey = P .. 'o:' .. g .. ':' .. f
      redis.call('SET', okey, v, 'KEEPTTL')
      redis.call('SADD', P .. 'ov:' .. g, okey)
      touched[okey] = st.x; touched[P .. 'ov:' .. g] = st.x
      values[f] = ''
    end
  end
  write(st, 'p', g, values, added)
  -- document frequency: a count-min sketch, each hash's `depth` counters + 1 per article (never below
  -- the true count); one BITFIELD per few thousand counters, each counter once with its batch's count
  for _, r in ipairs(sketch[g] or {}) do counters('BITFIELD', P .. 'cm:' .. g, 'INCRBY', r[1], r[2], r[3]) end
  touched[P .. 'cm:' .. g] = st.x
  st.n = st.n + #batch
  local meta = {}
  for _, name in ipairs(GF) do meta[#meta + 1] = name; meta[#meta + 1] = fmt(st[name]) end
  redis.call('HSET', P .. 'g:' .. g, unpack(meta))
  touched[P .. 'g:' .. g] = st.x
end
for key, x in pairs(touched) do
  if x > 0 then redis.call('EXPIREAT', key, x, 'NX') end
end
local list = sorted_keys(found)
return {seqs, list, records_of(live, list), total_len(now), hits}
"""
)
