/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  Customer and node keys of any type, dictionary-encoded once.
 *
 * A CRM keys its customers by bigint, uuid, text, char(36), varchar(18) or
 * any type with default hash and btree operator classes.  The algorithms
 * work on int64 ids; this file turns every key into one as the reader
 * converts a row, and back into the key when a result row goes out:
 *
 * - Integer keys (smallint, integer, bigint) are their own ids: no table,
 *   the bigint path as it always was.
 * - Any other key gets a code from a dictionary: an open-addressing hash
 *   table over the distinct keys, each copied once into an arena.  uuid
 *   and text in a deterministic collation hash and compare their bytes (as
 *   texteq does); other types use their default operator classes.
 *
 * ScrmKeysFreeze sorts the keys and renumbers them 0..n-1 in key order, so
 * that "smallest id" means smallest key and an algorithm that visits nodes
 * in id order sees the same order whatever order the rows came in.  Keys
 * sort by bytes (uuid order; for text the order of COLLATE "C"), other
 * types by their btree comparison.  After freezing, a new key still gets a
 * code (n, n + 1, ...) but ScrmKeysKnown tells it was not among the keys
 * frozen: a node outside the graph, a customer the customers query does
 * not list.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "input.h"
#include "social_crm.h"

#define ARENA_BLOCK (64 * 1024)

/* How a key is hashed and compared */
typedef enum KeyKind
{
	KEYS_INT,					/* the key is its own id */
	KEYS_UUID,					/* 16 bytes */
	KEYS_TEXT,					/* varlena bytes, deterministic collation */
	KEYS_GENERIC				/* the type's hash and equality functions */
} KeyKind;

/*
 * A slot of the hash table.  For uuid and text keys it holds the key's
 * first 16 bytes and length, so that a lookup touches one slot and reads
 * the key itself only when it is longer (one cache miss, not three).
 */
typedef struct KeySlot
{
	uint32		hash;
	uint32		tag;			/* code + 1 (0: empty), the length class above */
	uint64		w[2];			/* the key's first 16 bytes, zero-padded */
	uint64		pad;			/* 32 bytes: two slots a cache line, none across two */
} KeySlot;

/* tag: code + 1 in 27 bits, the key's length (17: longer) in 5 */
#define TAG_CODE_BITS	27
#define TAG_CODE_MASK	((((uint32) 1) << TAG_CODE_BITS) - 1)
#define MAX_KEYS		((int64) TAG_CODE_MASK - 1)
#define SLOT_CODE(s)	((int32) ((s)->tag & TAG_CODE_MASK))	/* code + 1 */
#define LEN_CLASS(len)	((uint32) Min((len), 17))
#define MAKE_TAG(code1, len) ((uint32) (code1) | (LEN_CLASS(len) << TAG_CODE_BITS))

struct ScrmKeys
{
	Oid			typid;			/* base type of the keys */
	Oid			collation;
	KeyKind		kind;
	int16		typlen;
	bool		typbyval;
	FmgrInfo   *hash_fn;		/* KEYS_GENERIC */
	FmgrInfo   *eq_fn;
	FmgrInfo   *cmp_fn;
	FmgrInfo	out_fn;			/* the type's output function */
	MemoryContext parent;		/* where the dictionary was created */
	ScrmBudget	budget;
	int64		n;				/* distinct keys */
	int64		cap;
	Datum	   *keys;			/* insertion number -> key */
	uint64	   *pfx;			/* insertion number -> first 16 bytes, two words (uuid, text) */
	int32	   *remap;			/* frozen: insertion number -> code (NULL before) */
	int32	   *order;			/* frozen: code -> insertion number, codes < frozen */
	struct KeySlot *slots;		/* open addressing, linear probing */
	void	   *slots_mem;		/* their allocation */
	uint64		mask;
	int64		frozen;			/* keys known when frozen; -1 before */
	Oid			expected;		/* a type the first key column must match (or 0) */
	char	   *arena;			/* current block for key copies */
	Size		arena_left;
};

/* The family of a key type: int, uuid, text or the type itself */
static Oid
key_family(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return INT8OID;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return TEXTOID;
		default:
			return typid;
	}
}

/* Can a column of type typid hold keys of k? */
bool
ScrmKeysAccept(const ScrmKeys *k, Oid typid)
{
	return key_family(getBaseType(typid)) == key_family(k->typid);
}

/* Are keys of types a and b the same family (integers mix, text types mix)? */
bool
ScrmKeyTypesMatch(Oid a, Oid b)
{
	return key_family(getBaseType(a)) == key_family(getBaseType(b));
}

Oid
ScrmKeysType(const ScrmKeys *k)
{
	return k->typid;
}

bool
ScrmKeysInteger(const ScrmKeys *k)
{
	return k->kind == KEYS_INT;
}

/*
 * A dictionary for keys of type typid (a domain counts as its base type)
 * compared in collation.  Fails with 42883 for a type without default hash
 * and btree operator classes.  typid InvalidOid: the type of the first key
 * column read (ScrmKeysSetType).
 */
ScrmKeys *
ScrmKeysCreate(Oid typid, Oid collation)
{
	ScrmKeys   *k = palloc0(sizeof(ScrmKeys));

	k->parent = CurrentMemoryContext;
	k->frozen = -1;
	if (OidIsValid(typid))
		ScrmKeysSetType(k, typid, collation);
	return k;
}

/*
 * A dictionary created without a type takes the type of the first key
 * column read; expect the family of typid there (ScrmKeysExpected)
 */
void
ScrmKeysExpect(ScrmKeys *k, Oid typid)
{
	k->expected = typid;
}

/* The type a dictionary without one was told to expect, or InvalidOid */
Oid
ScrmKeysExpected(const ScrmKeys *k)
{
	return OidIsValid(k->typid) ? InvalidOid : k->expected;
}

/* Set the key type of a dictionary created without one */
void
ScrmKeysSetType(ScrmKeys *k, Oid typid, Oid collation)
{
	MemoryContext old;

	Assert(!OidIsValid(k->typid));
	k->typid = getBaseType(typid);
	k->collation = OidIsValid(collation) ? collation : DEFAULT_COLLATION_OID;
	get_typlenbyval(k->typid, &k->typlen, &k->typbyval);
	if (key_family(k->typid) == INT8OID)
	{
		k->kind = KEYS_INT;
		return;
	}
	if (k->typid == UUIDOID)
		k->kind = KEYS_UUID;
	else if (key_family(k->typid) == TEXTOID &&
			 (!type_is_collatable(k->typid) ||
			  get_collation_isdeterministic(k->collation)))
		k->kind = KEYS_TEXT;
	else
		k->kind = KEYS_GENERIC;
	if (k->kind != KEYS_INT)
	{
		TypeCacheEntry *tc = lookup_type_cache(k->typid,
											   TYPECACHE_HASH_PROC_FINFO |
											   TYPECACHE_EQ_OPR_FINFO |
											   TYPECACHE_CMP_PROC_FINFO);

		if (!OidIsValid(tc->hash_proc) || !OidIsValid(tc->eq_opr) ||
			!OidIsValid(tc->cmp_proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("keys of type %s are not supported",
							format_type_be(typid)),
					 errdetail("A key type needs default btree and hash operator classes."),
					 errhint("Cast the keys to text, e.g. SELECT id::text AS customer.")));
		k->hash_fn = &tc->hash_proc_finfo;
		k->eq_fn = &tc->eq_opr_finfo;
		k->cmp_fn = &tc->cmp_proc_finfo;
	}
	/* with the dictionary, not in the (sub)transaction of a first read */
	old = MemoryContextSwitchTo(k->parent);
	ScrmBudgetInit(&k->budget, "key dictionary");
	MemoryContextSwitchTo(old);
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(k->typid, &out, &varlena);
		fmgr_info_cxt(out, &k->out_fn, k->parent);
	}
}

/* The bytes of a uuid or text key */
static inline const char *
key_bytes(const ScrmKeys *k, Datum key, int *len)
{
	if (k->kind == KEYS_UUID)
	{
		*len = UUID_LEN;
		return (const char *) DatumGetPointer(key);
	}
	*len = VARSIZE_ANY_EXHDR(DatumGetPointer(key));
	return VARDATA_ANY(DatumGetPointer(key));
}

/* The hash of a uuid or text key set in p (ScrmKeyProbeSet) */
static inline uint32
probe_hash(const ScrmKeyProbe *p)
{
	if (p->len <= 16)
		return (uint32) ScrmMix64(p->w[0] ^ ScrmMix64(p->w[1] ^ (uint64) p->len));
	return hash_bytes((const unsigned char *) p->bytes, p->len);
}

/* Prepare the lookup of key: its bytes, inline words and hash */
static inline void
probe_init(const ScrmKeys *k, Datum key, ScrmKeyProbe *p)
{
	p->key = key;
	if (k->kind == KEYS_GENERIC)
	{
		p->bytes = NULL;
		p->len = 0;
		p->w[0] = p->w[1] = 0;
		p->hash = DatumGetUInt32(FunctionCall1Coll(k->hash_fn, k->collation, key));
		return;
	}
	{
		int			len;
		const char *b = key_bytes(k, key, &len);

		ScrmKeyProbeSet(p, b, len);
		p->bytes = b;
	}
	p->hash = probe_hash(p);
}

/* Does slot hold the key of p? */
static pg_attribute_always_inline bool
slot_matches(const ScrmKeys *k, const KeySlot *slot, const ScrmKeyProbe *p)
{
	int			len;
	const char *b;

	if (slot->hash != p->hash)
		return false;
	if (k->kind == KEYS_GENERIC)
		return DatumGetBool(FunctionCall2Coll(k->eq_fn, k->collation,
											  k->keys[SLOT_CODE(slot) - 1], p->key));
	if ((slot->tag >> TAG_CODE_BITS) != LEN_CLASS(p->len) ||
		slot->w[0] != p->w[0] || slot->w[1] != p->w[1])
		return false;
	if (p->len <= 16)
		return true;
	b = key_bytes(k, k->keys[SLOT_CODE(slot) - 1], &len);
	return len == p->len && memcmp(b + 16, p->bytes + 16, len - 16) == 0;
}

/* Copy a key into the arena (text keys with a 4-byte header) */
static Datum
key_copy(ScrmKeys *k, const ScrmKeyProbe *p)
{
	Datum		key = p->key;
	Size		size;
	char	   *dst;

	if (k->typbyval)
		return key;
	if (k->kind == KEYS_TEXT)
		size = VARHDRSZ + p->len;
	else if (k->kind == KEYS_UUID)
		size = UUID_LEN;
	else
		size = datumGetSize(key, false, k->typlen);
	size = MAXALIGN(size);
	if (size > k->arena_left)
	{
		Size		block = Max(size, ARENA_BLOCK);

		k->arena = ScrmAlloc(&k->budget, block, 1);
		k->arena_left = block;
	}
	dst = k->arena;
	k->arena += size;
	k->arena_left -= size;
	if (k->kind == KEYS_TEXT)
	{
		/* the first 16 bytes from the probe: the key itself may be gone */
		SET_VARSIZE(dst, VARHDRSZ + p->len);
		memcpy(VARDATA(dst), p->w, Min(p->len, 16));
		if (p->len > 16)
			memcpy(VARDATA(dst) + 16, p->bytes + 16, p->len - 16);
	}
	else if (k->kind == KEYS_UUID)
		memcpy(dst, p->w, UUID_LEN);
	else if (k->typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM(key);

		memcpy(dst, v, VARSIZE(v));
	}
	else
		memcpy(dst, DatumGetPointer(key), datumGetSize(key, false, k->typlen));
	return PointerGetDatum(dst);
}

/*
 * Where the probes for a hash start: the first of the two slots of a cache
 * line, so that a second probe, when there is one, finds its slot loaded
 * with the first
 */
static inline uint64
slot_home(const ScrmKeys *k, uint32 hash)
{
	return (uint64) hash & k->mask & ~(uint64) 1;
}

/* (Re)build the hash table with room for cap keys */
static void
keys_rehash(ScrmKeys *k, int64 cap)
{
	uint64		nslots = 1024;
	KeySlot    *old = k->slots;
	void	   *old_mem = k->slots_mem;
	uint64		oldn = old ? k->mask + 1 : 0;
	uint64		i;

	while (nslots < (uint64) cap * 2)
		nslots *= 2;
	/* aligned to a cache line (two slots more of room: up to 56 bytes go) */
	k->slots_mem = ScrmAlloc0(&k->budget, nslots + 2, sizeof(KeySlot));
	k->slots = (KeySlot *) TYPEALIGN(64, k->slots_mem);
	k->mask = nslots - 1;
	for (i = 0; i < oldn; i++)
	{
		uint64		h;

		if (old[i].tag == 0)
			continue;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		h = slot_home(k, old[i].hash);
		while (k->slots[h].tag != 0)
			h = (h + 1) & k->mask;
		k->slots[h] = old[i];
	}
	if (old)
		ScrmFree(&k->budget, old_mem, oldn + 2, sizeof(KeySlot));
}

/*
 * Does the dictionary take keys in batches (ScrmKeysLookupMany, many
 * lookups in flight)?  uuid and text keys do.
 */
bool
ScrmKeysBatched(const ScrmKeys *k)
{
	return OidIsValid(k->typid) && (k->kind == KEYS_UUID || k->kind == KEYS_TEXT);
}

/*
 * The code of the key of p (hashed), a new one if it is new.  p's key
 * (and bytes) must still be valid.
 */
static pg_attribute_always_inline int64
key_lookup(ScrmKeys *k, const ScrmKeyProbe *p)
{
	uint64		s;
	KeySlot    *slot;

	s = slot_home(k, p->hash);
	while ((slot = &k->slots[s])->tag != 0)
	{
		if (slot_matches(k, slot, p))
			return k->remap ? k->remap[SLOT_CODE(slot) - 1] : SLOT_CODE(slot) - 1;
		s = (s + 1) & k->mask;
	}
	if (k->n >= MAX_KEYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct keys"),
				 errdetail("At most " INT64_FORMAT " distinct keys are supported.", MAX_KEYS)));
	if (k->n == k->cap)
	{
		int64		cap = Max(k->cap * 2, 4096);

		k->keys = ScrmRealloc(&k->budget, k->keys, k->cap, cap, sizeof(Datum));
		if (k->kind != KEYS_GENERIC)
			k->pfx = ScrmRealloc(&k->budget, k->pfx, k->cap * 2, cap * 2, sizeof(uint64));
		if (k->remap)
			k->remap = ScrmRealloc(&k->budget, k->remap, k->cap, cap, sizeof(int32));
		k->cap = cap;
	}
	k->keys[k->n] = key_copy(k, p);
	if (k->kind != KEYS_GENERIC)
	{
		k->pfx[2 * k->n] = p->w[0];
		k->pfx[2 * k->n + 1] = p->w[1];
	}
	if (k->remap)
		k->remap[k->n] = (int32) k->n;	/* a key new since the freeze keeps its number */
	slot->hash = p->hash;
	slot->tag = MAKE_TAG(k->n + 1, p->len);
	slot->w[0] = p->w[0];
	slot->w[1] = p->w[1];
	k->n++;
	if ((uint64) k->n * 2 > k->mask)
		keys_rehash(k, k->n);
	return k->n - 1;
}

/*
 * The id of key: the key itself for integer keys, else its code, a new
 * one if the key is new.  A text key must be detoasted (the reader does).
 */
int64
ScrmKeysEncode(ScrmKeys *k, Datum key, Oid typid)
{
	ScrmKeyProbe p;

	if (k->kind == KEYS_INT)
	{
		switch (typid)
		{
			case INT2OID:
				return (int64) DatumGetInt16(key);
			case INT4OID:
				return (int64) DatumGetInt32(key);
			default:
				return DatumGetInt64(key);
		}
	}
	if (k->typlen == -1 && k->kind == KEYS_GENERIC)
		key = PointerGetDatum(PG_DETOAST_DATUM_PACKED(key));
	probe_init(k, key, &p);
	if (k->slots == NULL)
		keys_rehash(k, 1024);
	return key_lookup(k, &p);
}

/*
 * Look up n uuid or text keys set by ScrmKeyProbeSet (the bytes of a key
 * longer than 16 in p->bytes), each probe's code into its code field, new
 * codes for new keys.  All the keys are hashed and their slots start
 * loading before the first is looked up, so that the cache misses of a
 * batch overlap instead of coming one after the other.
 */
void
ScrmKeysLookupMany(ScrmKeys *k, ScrmKeyProbe *probes, int n)
{
	int			i;

	Assert(ScrmKeysBatched(k));
	if (k->slots == NULL)
		keys_rehash(k, 1024);
	for (i = 0; i < n; i++)
	{
		probes[i].hash = probe_hash(&probes[i]);
		__builtin_prefetch(&k->slots[slot_home(k, probes[i].hash)]);
	}
	for (i = 0; i < n; i++)
		probes[i].code = key_lookup(k, &probes[i]);
}

/*
 * Make room for about n keys before they come (a reader's estimate), so
 * that the table does not grow through every size on the way
 */
void
ScrmKeysReserve(ScrmKeys *k, int64 n)
{
	if (!OidIsValid(k->typid) || k->kind == KEYS_INT || k->frozen >= 0)
		return;
	n = Min(n, (int64) 1 << 24);
	if (k->slots == NULL || (uint64) n * 2 > k->mask + 1)
		keys_rehash(k, Max(n, 512));
}

/* Was id among the keys when the dictionary was frozen? */
bool
ScrmKeysKnown(const ScrmKeys *k, int64 id)
{
	return k->kind == KEYS_INT || k->frozen < 0 || id < k->frozen;
}

/* Number of codes handed out (0 for integer keys) */
int64
ScrmKeysCount(const ScrmKeys *k)
{
	return k->n;
}

/* A key and its code, for sorting: 8 leading bytes first, big-endian */
typedef struct KeySortItem
{
	uint64		prefix;			/* bytes 0-7, big-endian */
	uint64		prefix2;		/* bytes 8-15 (text keys) */
	int32		code;
} KeySortItem;

static int
key_sort_cmp(const void *pa, const void *pb, void *arg)
{
	const KeySortItem *a = pa;
	const KeySortItem *b = pb;
	const ScrmKeys *k = arg;
	int			la,
				lb,
				r;
	const char *xa,
			   *xb;

	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	if (a->prefix2 != b->prefix2)
		return a->prefix2 < b->prefix2 ? -1 : 1;
	if (k->kind == KEYS_GENERIC)
		return DatumGetInt32(FunctionCall2Coll(k->cmp_fn, k->collation,
											   k->keys[a->code], k->keys[b->code]));
	xa = key_bytes(k, k->keys[a->code], &la);
	xb = key_bytes(k, k->keys[b->code], &lb);
	r = memcmp(xa, xb, Min(la, lb));
	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

/*
 * Sort keys: an LSD radix sort on the 16-byte prefixes of text keys (the
 * 8-byte ones of uuids, which differ there), 16 bits a pass, then a
 * comparison sort of each run of equal prefixes, which holds the keys that
 * need more bytes to be told apart (all of them for other types, whose
 * prefix is 0).
 */
static void
sort_items(ScrmKeys *k, KeySortItem *items, int64 n)
{
	int64		i,
				j;

	if (n >= 4096 && k->kind != KEYS_GENERIC)
	{
		KeySortItem *caller = items;
		KeySortItem *tmp = ScrmAlloc(&k->budget, n, sizeof(KeySortItem));
		int64	   *count = ScrmAlloc(&k->budget, 65536, sizeof(int64));
		int			pass;

		/*
		 * passes 0-3 on prefix2 (text only), 4-7 on prefix: least
		 * significant first; a digit all keys share (a common prefix, the
		 * zero padding of short keys) needs no pass
		 */
		for (pass = k->kind == KEYS_TEXT ? 0 : 4; pass < 8; pass++)
		{
			KeySortItem *swap;
			int			shift = (pass % 4) * 16;
			int64		sum = 0;

			CHECK_FOR_INTERRUPTS();
			memset(count, 0, sizeof(int64) * 65536);
			for (i = 0; i < n; i++)
				count[((pass < 4 ? items[i].prefix2 : items[i].prefix) >> shift) & 0xFFFF]++;
			if (count[((pass < 4 ? items[0].prefix2 : items[0].prefix) >> shift) & 0xFFFF] == n)
				continue;
			for (i = 0; i < 65536; i++)
			{
				int64		c = count[i];

				count[i] = sum;
				sum += c;
			}
			for (i = 0; i < n; i++)
				tmp[count[((pass < 4 ? items[i].prefix2 : items[i].prefix) >> shift) & 0xFFFF]++] = items[i];
			swap = items;
			items = tmp;
			tmp = swap;
		}
		/* after an odd number of passes the sorted items are in the other array */
		if (items != caller)
		{
			memcpy(caller, items, n * sizeof(KeySortItem));
			tmp = items;
			items = caller;
		}
		ScrmFree(&k->budget, tmp, n, sizeof(KeySortItem));
		ScrmFree(&k->budget, count, 65536, sizeof(int64));
		for (i = 0; i < n; i = j)
		{
			for (j = i + 1; j < n && items[j].prefix == items[i].prefix &&
				 items[j].prefix2 == items[i].prefix2; j++)
				;
			if (j - i > 1)
				qsort_interruptible(items + i, j - i, sizeof(KeySortItem), key_sort_cmp, k);
		}
		return;
	}
	qsort_interruptible(items, n, sizeof(KeySortItem), key_sort_cmp, k);
}

/*
 * Renumber the keys 0..n-1 in key order and freeze the set.  Returns the
 * map from old code to new (palloc'd in the caller's context; NULL for
 * integer keys, whose ids do not change).
 */
int32 *
ScrmKeysFreeze(ScrmKeys *k)
{
	KeySortItem *items;
	int32	   *map;
	int64		i;

	if (!OidIsValid(k->typid) || k->kind == KEYS_INT)
	{
		k->frozen = k->n;
		return NULL;
	}
	/* the first 16 bytes were kept at insertion: big-endian numbers, in order */
	items = ScrmAlloc(&k->budget, Max(k->n, 1), sizeof(KeySortItem));
	for (i = 0; i < k->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		items[i].prefix = k->kind == KEYS_GENERIC ? 0 : pg_ntoh64(k->pfx[2 * i]);
		items[i].prefix2 = k->kind == KEYS_TEXT ? pg_ntoh64(k->pfx[2 * i + 1]) : 0;
		items[i].code = (int32) i;
	}
	sort_items(k, items, k->n);
	/*
	 * The slots and keys keep their insertion numbers (no pass over the
	 * table): remap turns one into a code, order a code back into one
	 */
	map = palloc(sizeof(int32) * Max(k->n, 1));
	k->remap = ScrmAlloc(&k->budget, Max(k->cap, 1), sizeof(int32));
	k->order = ScrmAlloc(&k->budget, Max(k->n, 1), sizeof(int32));
	for (i = 0; i < k->n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		map[items[i].code] = (int32) i;
		k->remap[items[i].code] = (int32) i;
		k->order[i] = items[i].code;
	}
	ScrmFree(&k->budget, items, Max(k->n, 1), sizeof(KeySortItem));
	k->frozen = k->n;
	return map;
}

/* Where the key of code id is kept (its insertion number) */
static inline int64
key_index(const ScrmKeys *k, int64 id)
{
	return k->order && id < k->frozen ? k->order[id] : id;
}

/* The key of id as a Datum of the dictionary's type (22003 if out of range) */
Datum
ScrmKeysDecode(const ScrmKeys *k, int64 id)
{
	if (k->kind != KEYS_INT)
	{
		Assert(id >= 0 && id < k->n);
		/*
		 * Results go out in code order, the keys lie in insertion order:
		 * start loading the ones a few codes ahead
		 */
		if (k->order && id + 32 < k->frozen)
		{
			__builtin_prefetch(&k->keys[k->order[id + 32]]);
			__builtin_prefetch(DatumGetPointer(k->keys[k->order[id + 16]]));
		}
		return k->keys[key_index(k, id)];
	}
	switch (k->typid)
	{
		case INT2OID:
			if (id < PG_INT16_MIN || id > PG_INT16_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("key %lld is out of range for type smallint",
								(long long) id)));
			return Int16GetDatum((int16) id);
		case INT4OID:
			if (id < PG_INT32_MIN || id > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("key %lld is out of range for type integer",
								(long long) id)));
			return Int32GetDatum((int32) id);
		default:
			return Int64GetDatum(id);
	}
}

/* The key of id as text (palloc'd), for messages and text columns */
char *
ScrmKeysOut(const ScrmKeys *k, int64 id)
{
	if (k == NULL || k->kind == KEYS_INT)
		return psprintf(INT64_FORMAT, id);
	if (id < 0 || id >= k->n)
		return pstrdup("?");
	return OutputFunctionCall((FmgrInfo *) &k->out_fn, k->keys[key_index(k, id)]);
}
