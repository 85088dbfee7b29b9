// $verify answers: what they mean for a person, and the proof drawn (leaf → root → public-chain transaction),
// with the inclusion path checked again here in the browser (RFC 9162 §2.1.3.2).
import { Api } from './api.js';
import { h, dl, section } from './ui.js';

/** "anchored on the public chain", "on chain, not anchored yet", "pending", "failed", as a badge. */
export function proofBadge(v) {
  if (v.status === 'verified') return h('span', { class: 'badge allowed' }, 'anchored on the public chain');
  if (v.status === 'pending' && v.privateTx) return h('span', { class: 'badge pending' }, 'on chain, anchor pending');
  if (v.status === 'pending') return h('span', { class: 'badge pending' }, 'pending');
  if (v.status === 'erased') return h('span', { class: 'badge pending' }, 'erased (proof kept)');
  return h('span', { class: 'badge refused' }, v.status || 'unknown');
}

function hex(s) {
  const clean = String(s || '').replace(/^0x/, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

async function node(left, right) {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

/** Whether the path leads from the leaf to the root (RFC 9162 inclusion proof verification). */
export async function inclusionHolds(leafIndex, treeSize, leafHash, path, rootHash) {
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  if (fn > sn) return false;
  let r = hex(leafHash);
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await node(hex(p), r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await node(r, hex(p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  const root = hex(rootHash);
  return sn === 0n && r.length === root.length && r.every((b, i) => b === root[i]);
}

function pathOf(v) {
  const proof = v.inclusionProof;
  if (!proof) return [];
  return [].concat(proof).flatMap((p) => [].concat(p.hash || []));
}

/** A value the tests find by id, or nothing when the answer lacks it. */
function marked(id, value) {
  return value === undefined || value === null || value === '' ? undefined : h('span', { id }, String(value));
}

/** The whole answer of $verify for a reference (Type/id or Type/id/_history/n), drawn. */
export function proofSection(api, reference) {
  return section(`Proof of ${reference}`, async () => {
    const v = Api.values(await api.get(`${reference.replace(/^\//, '')}/$verify`));
    const path = pathOf(v);
    const checked = v.leafHash && v.rootHash && v.treeSize
      ? await inclusionHolds(v.leafIndex, v.treeSize, v.leafHash, path, v.rootHash) : null;
    return [
      h('p', { id: 'proof-status' }, 'Status: ', proofBadge(v), ' ', h('strong', {}, v.status)),
      v.issue ? h('ul', { id: 'proof-issues' }, [].concat(v.issue).map((i) => h('li', {}, i))) : null,
      checked === null ? null : h('p', { class: checked ? 'notice' : 'error', role: 'status', id: 'proof-browser-check' },
        checked ? 'Checked in this browser: the path leads from the entry\'s leaf to the anchored root.'
          : 'Checked in this browser: the path does NOT lead to the anchored root.'),
      h('ol', { class: 'proof', 'aria-label': 'Proof from the entry to the public chain' },
        h('li', {}, h('strong', {}, `The ${v.lane || ''} entry`), dl([
          ['Checked', v.reference], ['Content', v.content], ['Sequence', v.seq], ['Resource', v.resource],
          ['Content hash', v.contentHash && h('span', { class: 'mono' }, v.contentHash)],
          ['Audit hash', v.auditHash && h('span', { class: 'mono' }, v.auditHash)],
          ['Private chain', v.privateChainId && `chain ${v.privateChainId}, block ${v.privateBlock}`],
          ['Transaction', v.privateTx && h('span', { class: 'mono' }, v.privateTx)],
        ])),
        h('li', {}, h('strong', {}, 'Leaf'), dl([['Index', marked('proof-leaf-index', v.leafIndex)], ['Hash', v.leafHash && h('span', { class: 'mono', id: 'proof-leaf' }, v.leafHash)]])),
        path.map((p, i) => h('li', {}, h('strong', {}, `Sibling ${i + 1} of ${path.length}`), ' ', h('span', { class: 'mono' }, p))),
        h('li', {}, h('strong', {}, 'Anchored root'), dl([['Tree size', marked('proof-tree-size', v.treeSize)], ['Root', v.rootHash && h('span', { class: 'mono', id: 'proof-root' }, v.rootHash)]])),
        h('li', {}, h('strong', {}, 'Public chain'), dl([
          ['Chain', v.publicChainId], ['Anchor registry', v.anchorRegistry && h('span', { class: 'mono' }, v.anchorRegistry)],
          ['Anchor', marked('proof-anchor-index', v.anchorIndex)], ['Transaction', v.anchorTx && h('span', { class: 'mono', id: 'anchor-tx' }, v.anchorTx)],
          ['Block', v.anchorBlock], ['Anchored at', v.anchoredAt],
        ]))),
    ];
  });
}

/** A button that asks $verify and puts the badge in place of itself. */
export function proofButton(api, reference) {
  const slot = h('span', {});
  const button = h('button', {
    type: 'button', class: 'secondary', 'aria-label': `Check the proof of ${reference}`,
    onclick: async () => {
      button.disabled = true;
      try {
        const v = Api.values(await api.get(`${reference}/$verify`));
        slot.replaceChildren(proofBadge(v), ' ', h('a', { href: `#/proof/${reference}` }, 'proof'));
      } catch (e) {
        slot.replaceChildren(h('span', { class: 'badge refused' }, e.message));
      }
    },
  }, 'Check proof');
  slot.append(button);
  return slot;
}
