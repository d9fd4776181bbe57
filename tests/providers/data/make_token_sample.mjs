// Regenerates token_sample.jsonl: text chunks of several kinds (prose, code, JSON error bodies,
// six languages) with their exact token counts from the npm package gpt-tokenizer (o200k_base
// for gpt-4o, cl100k_base for gpt-4 and gpt-3.5), the ground truth the estimator is measured
// against in tests/providers/table.cpp.
//
//   npm install --prefix /tmp/tok gpt-tokenizer && ln -s /tmp/tok/node_modules . &&
//   node make_token_sample.mjs token_sample.jsonl && rm node_modules
//
// Run from a checkout with the shared folder beside it (../shared).
import fs from 'node:fs';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
const chunks = [];
const add = (kind, text) => { if (text.trim().length > 40) chunks.push({ kind, text }); };
const prose = fs.readFileSync(new URL('../../../../shared/DESIGN.md', import.meta.url), 'utf8') + '\n' + fs.readFileSync(new URL('../../../../shared/STYLE.md', import.meta.url), 'utf8');
for (const para of prose.split(/\n\n+/)) add(/```|^\s*[│├└]/m.test(para) ? 'code' : 'prose', para);
for (const line of fs.readFileSync(new URL('../../data/provider_replies.jsonl', import.meta.url), 'utf8').split('\n')) {
  if (!line) continue;
  const v = JSON.parse(line);
  add('json', v.body);
}
for (const f of ['wait.hpp', 'redact.hpp', 'tokens.hpp']) {
  const src = fs.readFileSync(new URL('../../../include/governed/providers/' + f, import.meta.url), 'utf8');
  for (let i = 0; i < src.length; i += 1500) add('code', src.slice(i, i + 1500));
}
const other = [
  ['de', 'Die Ratenbegrenzung schützt den Dienst vor Überlastung. Wenn ein Schlüssel sein Tageskontingent verbraucht hat, wechselt die Bibliothek sofort zu einem anderen Schlüssel desselben Anbieters und merkt sich, wann das Kontingent zurückkehrt.'],
  ['fr', "La limitation de débit protège le service contre la surcharge. Lorsqu'une clé a épuisé son quota quotidien, la bibliothèque passe immédiatement à une autre clé du même fournisseur et retient l'heure à laquelle le quota revient."],
  ['es', 'La limitación de velocidad protege el servicio contra la sobrecarga. Cuando una clave agota su cuota diaria, la biblioteca cambia de inmediato a otra clave del mismo proveedor y recuerda cuándo vuelve la cuota.'],
  ['ru', 'Ограничение скорости защищает сервис от перегрузки. Когда ключ исчерпал дневную квоту, библиотека сразу переключается на другой ключ того же поставщика и запоминает, когда квота восстановится.'],
  ['zh', '速率限制可以保护服务免于过载。当某个密钥用完当天的配额时,库会立即切换到同一提供商的另一个密钥,并记住配额何时恢复。'],
  ['ja', 'レート制限はサービスを過負荷から守ります。キーが一日の割り当てを使い切ると、ライブラリはすぐに同じプロバイダーの別のキーに切り替え、割り当てが戻る時刻を覚えておきます。'],
];
for (const [k, t] of other) add(k, t);
const out = chunks.map(c => JSON.stringify({ kind: c.kind, text: c.text, o200k: o200k(c.text).length, cl100k: cl100k(c.text).length }));
fs.writeFileSync(process.argv[2], out.join('\n') + '\n');
console.log(out.length, 'samples');
