// The critiques table the example's job filled (run from the folder the job ran in):
//   node examples/critiques/show-table.mjs
import { connect } from '@lancedb/lancedb';

const db = await connect('./critiques.lancedb');
const table = await db.openTable('critiques');
console.log(`${String(await table.countRows())} critiques in ./critiques.lancedb`);
for (const group of ['korean', 'indian', 'mural', 'chinese']) {
  console.log(`  ${group}: ${String(await table.countRows(`culture = '${group}'`))}`);
}
console.log(await table.query().select(['id', 'culture', 'critique__status']).limit(3).toArray());
table.close();
db.close();
