/**
 * The demo territory: the towns and parks of an illustrative county-level city modelled on 仪征市, their
 * villages and communities, and ~4 grids per village as WGS84 MultiPolygons that tile the city without gaps
 * or overlaps. Pure functions, no database: the same seed always gives the same geography.
 *
 * The town and park names are the real ones; every village and community name, every code and every line
 * is invented for the demo. Codes are 行政区划-style but illustrative: 321081 (county) + 3 digits (town:
 * 101–108 for 镇, 401–403 for parks) + 3 digits (village: 001… for 社区, 201… for 村).
 *
 * How the lines are made: a lattice of COLS × ROWS cells covers a rectangle around 32.27°N 119.18°E. Every
 * interior lattice vertex is moved by a deterministic jitter (at most 22 % of a cell each way, which keeps
 * every cell a convex quadrilateral) and every interior cell edge gets one extra vertex pushed sideways, so
 * the lines wander like streets and field boundaries. The 616 cells (28 × 22 of 0.012° × 0.01°, ~1.1 km
 * square) are shared out by competitive growth: towns grow from their seats like a Dijkstra search over
 * smoothly varying step costs (so borders bend), a cell going to the first town that reaches it; each town
 * is cut the same way into villages of ~5 cells; each village is cut into grids of one cell or two adjacent
 * cells (4 grids, 5–6 for the few large villages). Growth only ever takes a cell next to one already
 * taken, so every town and village is one contiguous block. A grid's ring walks the lattice vertices and
 * edge points of its outline, so two neighbouring grids share exactly the same coordinates along their
 * common edge; the city's outer boundary stays a straight-edged rectangle.
 */

/** A GeoJSON position: `[lng, lat]` in WGS84. */
export type Position = [number, number];

/** A GeoJSON MultiPolygon (RFC 7946: outer rings counter-clockwise, closed). */
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}

/** The bounding box of a geometry, as stored beside it for the spatial index. */
export interface BBox {
  minLng: number;
  minLat: number;
  maxLng: number;
  maxLat: number;
}

/** One generated grid (网格). */
export interface DemoGrid {
  /** The village code + 2 digits. */
  code: string;
  /** e.g. `胥浦社区第1网格`. */
  name: string;
  /** 1-based number within the village (the grid worker's username ends in `grid<index>`). */
  index: number;
  /** The lattice cells `[col, row]` the grid covers (one, or two adjacent ones). */
  cells: [number, number][];
  geometry: MultiPolygon;
  bbox: BBox;
}

/** One generated village or community (村/社区) with its grids. */
export interface DemoVillage {
  /** 12 digits: town code + 3. */
  code: string;
  name: string;
  /** Pinyin, ASCII, unique within the town; used in usernames. */
  slug: string;
  areaType: 'village' | 'community';
  grids: DemoGrid[];
}

/** One town or park (镇/园区) with its villages. */
export interface DemoTown {
  /** 12 digits: 321081 + 3 + 000. */
  code: string;
  /** The place name (`真州镇`); the centre is implied by the unit's kind. */
  name: string;
  /** Pinyin, ASCII, unique; used in usernames. */
  slug: string;
  areaType: 'town' | 'park';
  villages: DemoVillage[];
}

/** The whole generated territory. */
export interface DemoGeography {
  seed: number;
  /** The code of the city (county) level: 321081 + 000000. */
  cityCode: string;
  /** The lattice the grids were cut from; its rectangle is the union of all grids. */
  lattice: { cols: number; rows: number; west: number; south: number; cellLng: number; cellLat: number };
  towns: DemoTown[];
}

/** The seed `buildGeography()` uses when none is given (the one the demo database is built from). */
export const DEFAULT_GEOGRAPHY_SEED = 20200304;

const COUNTY = '321081';
const COLS = 28;
const ROWS = 22;
/** ~1.1 km east–west and north–south at 32°N. */
const CELL_LNG = 0.012;
const CELL_LAT = 0.01;
const CENTRE: Position = [119.18, 32.27];
const VERTEX_JITTER = 0.22;
const EDGE_WIGGLE = 0.1;
/** The smallest village, in cells. */
const MIN_VILLAGE_CELLS = 4;
const GRIDS_PER_VILLAGE = 4;
const CELLS_PER_VILLAGE = 5;

interface TownSpec {
  name: string;
  slug: string;
  code: string;
  areaType: 'town' | 'park';
  /** Where the seat lies, as fractions of the lattice (0,0 = south-west). */
  seat: [number, number];
  /** Candidate names with their slugs, nearest the seat first (communities first). */
  places: [string, string][];
}

/** The 8 towns and 3 parks, placed roughly where they lie (the Yangtze is to the south). */
const TOWNS: TownSpec[] = [
  {
    name: '真州镇',
    slug: 'zhenzhou',
    code: '101',
    areaType: 'town',
    seat: [0.6, 0.12],
    places: [
      ['胥浦社区', 'xupu'],
      ['天宁社区', 'tianning'],
      ['鼓楼社区', 'gulou'],
      ['城北社区', 'chengbei'],
      ['大庆社区', 'daqing'],
      ['工农社区', 'gongnong'],
      ['沿江社区', 'yanjiang'],
      ['北门社区', 'beimen'],
      ['东园社区', 'dongyuan'],
      ['扬子社区', 'yangzi'],
      ['时代社区', 'shidai'],
      ['红光社区', 'hongguang'],
      ['泰山社区', 'taishan'],
      ['仪化社区', 'yihua'],
      ['庙山村', 'miaoshan'],
      ['林果村', 'linguo'],
    ],
  },
  {
    name: '新集镇',
    slug: 'xinji',
    code: '102',
    areaType: 'town',
    seat: [0.88, 0.5],
    places: [
      ['集镇社区', 'jizhen'],
      ['迎江社区', 'yingjiang'],
      ['八里村', 'bali'],
      ['杉山村', 'shanshan'],
      ['国庆村', 'guoqing'],
      ['龙山村', 'longshan'],
      ['丁冲村', 'dingchong'],
      ['红星村', 'hongxing'],
      ['前进村', 'qianjin'],
      ['廖家村', 'liaojia'],
      ['张营村', 'zhangying'],
      ['赵庄村', 'zhaozhuang'],
      ['民生村', 'minsheng'],
      ['合心村', 'hexin'],
      ['团结村', 'tuanjie'],
      ['樊营村', 'fanying'],
    ],
  },
  {
    name: '新城镇',
    slug: 'xincheng',
    code: '103',
    areaType: 'town',
    seat: [0.2, 0.12],
    places: [
      ['鹏程社区', 'pengcheng'],
      ['金桥社区', 'jinqiao'],
      ['仪东社区', 'yidong'],
      ['联合村', 'lianhe'],
      ['石桥村', 'shiqiao'],
      ['方营村', 'fangying'],
      ['朱营村', 'zhuying'],
      ['新华村', 'xinhua'],
      ['桥林村', 'qiaolin'],
      ['长山村', 'changshan'],
      ['东风村', 'dongfeng'],
      ['三星村', 'sanxing'],
      ['仁和村', 'renhe'],
      ['花园村', 'huayuan'],
      ['宝塔村', 'baota'],
      ['李庄村', 'lizhuang'],
    ],
  },
  {
    name: '马集镇',
    slug: 'maji',
    code: '104',
    areaType: 'town',
    seat: [0.1, 0.42],
    places: [
      ['马南社区', 'manan'],
      ['合兴社区', 'hexing'],
      ['尹山村', 'yinshan'],
      ['杨庄村', 'yangzhuang'],
      ['金山村', 'jinshan'],
      ['大巷村', 'daxiang'],
      ['万集村', 'wanji'],
      ['龙河村', 'longhe'],
      ['姜营村', 'jiangying'],
      ['周营村', 'zhouying'],
      ['黄花村', 'huanghua'],
      ['西山村', 'xishan'],
      ['胡庄村', 'huzhuang'],
      ['杨桥村', 'yangqiao'],
      ['金塘村', 'jintang'],
      ['友谊村', 'youyi'],
    ],
  },
  {
    name: '刘集镇',
    slug: 'liuji',
    code: '105',
    areaType: 'town',
    seat: [0.55, 0.55],
    places: [
      ['盘古社区', 'pangu'],
      ['白羊社区', 'baiyang'],
      ['古井村', 'gujing'],
      ['红山村', 'hongshan'],
      ['联营村', 'lianying'],
      ['七星村', 'qixing'],
      ['赵营村', 'zhaoying'],
      ['莲花村', 'lianhua'],
      ['毛营村', 'maoying'],
      ['詹庄村', 'zhanzhuang'],
      ['桂花村', 'guihua'],
      ['双塘村', 'shuangtang'],
      ['盘山村', 'panshan'],
      ['长林村', 'changlin'],
      ['新光村', 'xinguang'],
      ['高营村', 'gaoying'],
    ],
  },
  {
    name: '陈集镇',
    slug: 'chenji',
    code: '106',
    areaType: 'town',
    seat: [0.5, 0.88],
    places: [
      ['街南社区', 'jienan'],
      ['街北社区', 'jiebei'],
      ['红旗村', 'hongqi'],
      ['丁庄村', 'dingzhuang'],
      ['詹营村', 'zhanying'],
      ['甘草村', 'gancao'],
      ['鲍庄村', 'baozhuang'],
      ['薛营村', 'xueying'],
      ['官塘村', 'guantang'],
      ['金庄村', 'jinzhuang'],
      ['余庄村', 'yuzhuang'],
      ['古山村', 'gushan'],
      ['光明村', 'guangming'],
      ['白云村', 'baiyun'],
      ['新和村', 'xinhe'],
      ['胜利村', 'shengli'],
    ],
  },
  {
    name: '大仪镇',
    slug: 'dayi',
    code: '107',
    areaType: 'town',
    seat: [0.85, 0.85],
    places: [
      ['仪北社区', 'yibei'],
      ['滨湖社区', 'binhu'],
      ['卢山村', 'lushan'],
      ['南庄村', 'nanzhuang'],
      ['戴庄村', 'daizhuang'],
      ['同心村', 'tongxin'],
      ['杨山村', 'yangshan'],
      ['王营村', 'wangying'],
      ['洪山村', 'hongshan'],
      ['陈营村', 'chenying'],
      ['徐庄村', 'xuzhuang'],
      ['大圣村', 'dasheng'],
      ['仪山村', 'yishan'],
      ['红桥村', 'hongqiao'],
      ['新桥村', 'xinqiao'],
      ['潘庄村', 'panzhuang'],
    ],
  },
  {
    name: '月塘镇',
    slug: 'yuetang',
    code: '108',
    areaType: 'town',
    seat: [0.15, 0.85],
    places: [
      ['尚书社区', 'shangshu'],
      ['龙山社区', 'longshan'],
      ['捺山村', 'nashan'],
      ['四庄村', 'sizhuang'],
      ['辛庄村', 'xinzhuang'],
      ['朱桥村', 'zhuqiao'],
      ['青山村', 'qingshan'],
      ['田营村', 'tianying'],
      ['宋桥村', 'songqiao'],
      ['杨湾村', 'yangwan'],
      ['东岗村', 'donggang'],
      ['西岗村', 'xigang'],
      ['石塘村', 'shitang'],
      ['枫林村', 'fenglin'],
      ['桃园村', 'taoyuan'],
      ['许营村', 'xuying'],
    ],
  },
  {
    name: '仪征经济开发区',
    slug: 'kaifaqu',
    code: '401',
    areaType: 'park',
    seat: [0.4, 0.2],
    places: [
      ['汇金社区', 'huijin'],
      ['科创社区', 'kechuang'],
      ['长江社区', 'changjiang'],
      ['滨江社区', 'binjiang'],
      ['汽车城社区', 'qichecheng'],
      ['朴席社区', 'puxi'],
      ['刘营村', 'liuying'],
      ['仓门村', 'cangmen'],
      ['新坝村', 'xinba'],
      ['三和村', 'sanhe'],
      ['双红村', 'shuanghong'],
      ['湖滨村', 'hubin'],
      ['港口村', 'gangkou'],
      ['东升村', 'dongsheng'],
      ['联众村', 'lianzhong'],
      ['前卫村', 'qianwei'],
    ],
  },
  {
    name: '仪征化学工业园区',
    slug: 'huagong',
    code: '402',
    areaType: 'park',
    seat: [0.88, 0.12],
    places: [
      ['青山社区', 'qingshan'],
      ['十二圩社区', 'shierwei'],
      ['石化社区', 'shihua'],
      ['港城社区', 'gangcheng'],
      ['拓山村', 'tuoshan'],
      ['胥圩村', 'xuwei'],
      ['团山村', 'tuanshan'],
      ['金兴村', 'jinxing'],
      ['新圩村', 'xinwei'],
      ['民主村', 'minzhu'],
      ['幸福村', 'xingfu'],
      ['沙洲村', 'shazhou'],
      ['江滨村', 'jiangbin'],
      ['建华村', 'jianhua'],
      ['临江村', 'linjiang'],
      ['东方村', 'dongfang'],
    ],
  },
  {
    name: '枣林湾生态园',
    slug: 'zaolinwan',
    code: '403',
    areaType: 'park',
    seat: [0.3, 0.58],
    places: [
      ['铜山社区', 'tongshan'],
      ['枣林社区', 'zaolin'],
      ['湖山村', 'hushan'],
      ['果园村', 'guoyuan'],
      ['茶场村', 'chachang'],
      ['林场村', 'linchang'],
      ['山河村', 'shanhe'],
      ['新塘村', 'xintang'],
      ['响水村', 'xiangshui'],
      ['花果村', 'huaguo'],
      ['杉林村', 'shanlin'],
      ['竹园村', 'zhuyuan'],
      ['芦塘村', 'lutang'],
      ['桃花村', 'taohua'],
      ['岗上村', 'gangshang'],
      ['凤凰村', 'fenghuang'],
    ],
  },
];

/** A seeded PRNG (mulberry32) returning floats in [0, 1): the demo's only source of randomness. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float in [0, 1) that depends only on its arguments (so a vertex's jitter does not depend on order). */
function noise(seed: number, ...values: number[]): number {
  let h = seed ^ 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Value noise that changes smoothly over the lattice (bilinear between random values every 6 cells), in
 * [-1, 1): it bends the borders between towns into long curves instead of a staircase of single cells.
 */
function smoothNoise(seed: number, salt: number, cell: number): number {
  const x = (cell % COLS) / 6;
  const y = Math.floor(cell / COLS) / 6;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (i: number, j: number): number => noise(seed, 9, salt, i, j);
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return (top * (1 - fy) + bottom * fy) * 2 - 1;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Builds the demo territory: 11 towns and parks, ~10 villages each, ~4 grids per village. Deterministic. */
export function buildGeography(seed: number = DEFAULT_GEOGRAPHY_SEED): DemoGeography {
  const west = round6(CENTRE[0] - (COLS * CELL_LNG) / 2);
  const south = round6(CENTRE[1] - (ROWS * CELL_LAT) / 2);
  const lattice = { cols: COLS, rows: ROWS, west, south, cellLng: CELL_LNG, cellLat: CELL_LAT };
  const townCells = growTowns(seed);
  const shape = latticeShape(seed, lattice);
  const towns = TOWNS.map((spec, t): DemoTown => {
    const cells = townCells[t];
    const seat = seatCell(spec);
    const pieces = cutIntoVillages(seed, t, cells, seat);
    // Nearest the seat first: the seat's pieces take the first (urban, 社区) names.
    const order = pieces
      .map((piece) => ({ piece, d: Math.min(...piece.map((c) => distance(c, seat))) }))
      .sort((a, b) => a.d - b.d || a.piece[0] - b.piece[0]);
    let communities = 0;
    let villages = 0;
    const villageList = order.map(({ piece }, v): DemoVillage => {
      const [name, slug] = spec.places[v] ?? [`${spec.name.slice(0, 2)}第${v + 1}村`, `cun${v + 1}`];
      const areaType = name.endsWith('社区') ? 'community' : 'village';
      const serial = areaType === 'community' ? ++communities : 200 + ++villages;
      const code = `${COUNTY}${spec.code}${pad(serial, 3)}`;
      const grids = cutIntoGrids(seed, piece).map((gridCells, g): DemoGrid => {
        const geometry = gridGeometry(gridCells, shape);
        return {
          code: `${code}${pad(g + 1, 2)}`,
          name: `${name}第${g + 1}网格`,
          index: g + 1,
          cells: gridCells.map((c) => [c % COLS, Math.floor(c / COLS)]),
          geometry,
          bbox: bboxOf(geometry),
        };
      });
      return { code, name, slug, areaType, grids };
    });
    return {
      code: `${COUNTY}${spec.code}000`,
      name: spec.name,
      slug: spec.slug,
      areaType: spec.areaType,
      villages: villageList,
    };
  });
  return { seed, cityCode: `${COUNTY}000000`, lattice, towns };
}

function seatCell(spec: TownSpec): number {
  const col = Math.round(spec.seat[0] * (COLS - 1));
  const row = Math.round(spec.seat[1] * (ROWS - 1));
  return row * COLS + col;
}

function distance(a: number, b: number): number {
  return Math.hypot((a % COLS) - (b % COLS), Math.floor(a / COLS) - Math.floor(b / COLS));
}

function neighbours(cell: number): number[] {
  const col = cell % COLS;
  const row = Math.floor(cell / COLS);
  const out: number[] = [];
  if (col > 0) out.push(cell - 1);
  if (col < COLS - 1) out.push(cell + 1);
  if (row > 0) out.push(cell - COLS);
  if (row < ROWS - 1) out.push(cell + COLS);
  return out;
}

/**
 * Splits connected `cells` into one contiguous region per seed by competitive growth: every region spreads
 * from its seed like a Dijkstra search, a cell goes to the first region that reaches it, and every region
 * only ever takes a cell next to one it has, so every region is connected. Step costs vary smoothly over the
 * lattice (so borders bend in long curves, not a staircase), and each region's costs are scaled by a weight
 * that is re-fitted a few rounds so that the sizes approach their targets.
 */
function growRegions(
  seed: number,
  salt: number,
  cells: number[],
  seeds: number[],
  targets: number[],
): number[][] {
  const inside = new Set(cells);
  const weight = seeds.map(() => 1);
  const step = (r: number, cell: number): number =>
    weight[r] * (1 + 0.85 * smoothNoise(seed, salt * 64 + r, cell) + 0.2 * noise(seed, salt, r, cell));
  let best: number[][] = [];
  let bestError = Infinity;
  for (let round = 0; round < 12; round++) {
    const owner = new Map<number, number>();
    const regions: number[][] = seeds.map(() => []);
    const heap = new MinHeap();
    seeds.forEach((cell, r) => heap.push(0, r, cell));
    while (heap.size > 0) {
      const [cost, r, cell] = heap.pop();
      if (owner.has(cell)) continue;
      owner.set(cell, r);
      regions[r].push(cell);
      for (const n of neighbours(cell))
        if (inside.has(n) && !owner.has(n)) heap.push(cost + step(r, n), r, n);
    }
    const error = Math.max(...regions.map((region, r) => Math.abs(region.length - targets[r]) / targets[r]));
    if (error < bestError) {
      bestError = error;
      best = regions;
    }
    regions.forEach((region, r) => (weight[r] *= Math.pow(Math.max(region.length, 1) / targets[r], 0.6)));
  }
  return best;
}

/** A binary min-heap of (cost, region, cell), the queue of growRegions. */
class MinHeap {
  private readonly items: [number, number, number][] = [];
  get size(): number {
    return this.items.length;
  }
  push(cost: number, region: number, cell: number): void {
    const items = this.items;
    items.push([cost, region, cell]);
    let i = items.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(items[i], items[up])) break;
      [items[i], items[up]] = [items[up], items[i]];
      i = up;
    }
  }
  pop(): [number, number, number] {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l], items[m])) m = l;
        if (r < items.length && this.less(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
  /** Ties break on region then cell, so the result never depends on the heap's history. */
  private less(a: [number, number, number], b: [number, number, number]): boolean {
    return a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
  }
}

/** Splits the whole lattice into the towns, grown from their seats to about equal size. */
function growTowns(seed: number): number[][] {
  const all = Array.from({ length: COLS * ROWS }, (_, c) => c);
  return growRegions(
    seed,
    1,
    all,
    TOWNS.map(seatCell),
    TOWNS.map(() => all.length / TOWNS.length),
  );
}

/**
 * Cuts a town into villages of about CELLS_PER_VILLAGE cells, grown from seeds spread by farthest-point
 * sampling (the first at the seat). A village boxed in below MIN_VILLAGE_CELLS joins the smallest neighbour.
 */
function cutIntoVillages(seed: number, town: number, cells: number[], seat: number): number[][] {
  const count = Math.max(1, Math.round(cells.length / CELLS_PER_VILLAGE));
  const seeds = [cells.includes(seat) ? seat : cells[0]];
  while (seeds.length < count) {
    let far = -1;
    let farDistance = -1;
    for (const c of cells) {
      const d = Math.min(...seeds.map((s) => distance(c, s))) + 0.5 * noise(seed, 8, town, c);
      if (d > farDistance) {
        farDistance = d;
        far = c;
      }
    }
    seeds.push(far);
  }
  const pieces = growRegions(
    seed,
    2 + town,
    cells,
    seeds,
    seeds.map(() => cells.length / count),
  );
  const owner = new Map<number, number>();
  pieces.forEach((piece, v) => piece.forEach((c) => owner.set(c, v)));
  for (;;) {
    const small = pieces.findIndex((p) => p.length > 0 && p.length < MIN_VILLAGE_CELLS);
    if (small === -1 || pieces.filter((p) => p.length > 0).length === 1) break;
    const touching = new Set(
      pieces[small]
        .flatMap(neighbours)
        .map((n) => owner.get(n))
        .filter((o): o is number => o !== undefined && o !== small),
    );
    const into = [...touching].sort((a, b) => pieces[a].length - pieces[b].length || a - b)[0];
    for (const c of pieces[small]) owner.set(c, into);
    pieces[into].push(...pieces[small]);
    pieces[small] = [];
  }
  return pieces.filter((p) => p.length > 0);
}

/**
 * Cuts a village into grids of one cell or two adjacent cells: GRIDS_PER_VILLAGE grids where the cells allow,
 * more when the village is large. Pairs come from a maximum matching of the cells' adjacency (the lattice is
 * bipartite, so augmenting paths find it), a few of them left unmerged at random.
 */
function cutIntoGrids(seed: number, cells: number[]): number[][] {
  const set = new Set(cells);
  const mate = new Map<number, number>();
  const black = cells.filter((c) => ((c % COLS) + Math.floor(c / COLS)) % 2 === 0);
  const augment = (u: number, seen: Set<number>): boolean => {
    for (const v of neighbours(u).filter((n) => set.has(n))) {
      if (seen.has(v)) continue;
      seen.add(v);
      const w = mate.get(v);
      if (w === undefined || augment(w, seen)) {
        mate.set(u, v);
        mate.set(v, u);
        return true;
      }
    }
    return false;
  };
  for (const u of black) augment(u, new Set());
  const pairs = black
    .filter((u) => mate.has(u))
    .map((u) => [u, mate.get(u)!])
    .sort((a, b) => noise(seed, 3, a[0], a[1]) - noise(seed, 3, b[0], b[1]));
  const merges = Math.max(0, Math.min(pairs.length, cells.length - GRIDS_PER_VILLAGE));
  const used = pairs.slice(0, merges);
  const paired = new Set(used.flat());
  const grids = [...used, ...cells.filter((c) => !paired.has(c)).map((c) => [c])];
  // Number the grids north-west first, like reading a map.
  const key = (g: number[]): number =>
    Math.min(...g.map((c) => -Math.floor(c / COLS) * COLS * 2 + (c % COLS)));
  return grids.map((g) => [...g].sort((a, b) => a - b)).sort((a, b) => key(a) - key(b));
}

interface LatticeShape {
  /** The jittered position of lattice vertex (i, j). */
  vertex(i: number, j: number): Position;
  /** The extra point on the edge between two neighbouring lattice vertices (either order), or none. */
  edgePoint(a: [number, number], b: [number, number]): Position | null;
}

function latticeShape(seed: number, lattice: DemoGeography['lattice']): LatticeShape {
  const { west, south, cellLng, cellLat } = lattice;
  const local = (i: number, j: number): [number, number] => {
    const dx = i === 0 || i === COLS ? 0 : (noise(seed, 4, i, j) * 2 - 1) * VERTEX_JITTER;
    const dy = j === 0 || j === ROWS ? 0 : (noise(seed, 5, i, j) * 2 - 1) * VERTEX_JITTER;
    return [i + dx, j + dy];
  };
  const toWorld = ([x, y]: [number, number]): Position => [
    round6(west + x * cellLng),
    round6(south + y * cellLat),
  ];
  return {
    vertex: (i, j) => toWorld(local(i, j)),
    edgePoint: (a, b) => {
      const [p, q] = a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? [a, b] : [b, a];
      const horizontal = p[1] === q[1];
      // The city's outer boundary stays straight.
      if (horizontal ? p[1] === 0 || p[1] === ROWS : p[0] === 0 || p[0] === COLS) return null;
      const [x0, y0] = local(p[0], p[1]);
      const [x1, y1] = local(q[0], q[1]);
      const t = 0.35 + 0.3 * noise(seed, 6, p[0], p[1], horizontal ? 0 : 1);
      const off = (noise(seed, 7, p[0], p[1], horizontal ? 0 : 1) * 2 - 1) * EDGE_WIGGLE;
      const len = Math.hypot(x1 - x0, y1 - y0);
      const nx = -(y1 - y0) / len;
      const ny = (x1 - x0) / len;
      return toWorld([x0 + (x1 - x0) * t + nx * off, y0 + (y1 - y0) * t + ny * off]);
    },
  };
}

/** The outline of a set of cells as one counter-clockwise ring (cells of a grid never enclose a hole). */
function gridGeometry(cells: number[], shape: LatticeShape): MultiPolygon {
  const key = (i: number, j: number): string => `${i},${j}`;
  const edges = new Map<string, [number, number][]>();
  for (const c of cells) {
    const i = c % COLS;
    const j = Math.floor(c / COLS);
    // Counter-clockwise around the cell (lat grows with j), so the outline keeps the cells on its left.
    const corners: [number, number][] = [
      [i, j],
      [i + 1, j],
      [i + 1, j + 1],
      [i, j + 1],
    ];
    for (let k = 0; k < 4; k++)
      edges.set(`${key(...corners[k])}>${key(...corners[(k + 1) % 4])}`, [corners[k], corners[(k + 1) % 4]]);
  }
  const next = new Map<string, [number, number]>();
  for (const [id, [a, b]] of edges) {
    if (edges.has(`${key(...b)}>${key(...a)}`)) continue; // shared by two cells of the grid: inside
    next.set(id.split('>')[0], b);
  }
  const start = [...next.keys()].sort()[0].split(',').map(Number) as [number, number];
  const ring: Position[] = [];
  let at = start;
  do {
    const to = next.get(key(...at))!;
    ring.push(shape.vertex(...at));
    const mid = shape.edgePoint(at, to);
    if (mid) ring.push(mid);
    at = to;
  } while (key(...at) !== key(...start));
  ring.push(ring[0]);
  return { type: 'MultiPolygon', coordinates: [[ring]] };
}

function bboxOf(geometry: MultiPolygon): BBox {
  const positions = geometry.coordinates.flat(2);
  return {
    minLng: Math.min(...positions.map((p) => p[0])),
    minLat: Math.min(...positions.map((p) => p[1])),
    maxLng: Math.max(...positions.map((p) => p[0])),
    maxLat: Math.max(...positions.map((p) => p[1])),
  };
}
