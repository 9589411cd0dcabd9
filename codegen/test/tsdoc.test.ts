// Every public symbol of the published packages has TSDoc: each declaration exported from a
// package's entry point, and each public member of exported classes and interfaces.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExportedDeclarations, Node, Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function documented(node: Node): boolean {
  if (Node.isJSDocable(node) && node.getJsDocs().some((doc) => doc.getDescription().trim().length > 0))
    return true;
  // A variable's docs sit on its statement.
  const statement = node.getFirstAncestor((a) => Node.isVariableStatement(a));
  return statement !== undefined && Node.isJSDocable(statement) && statement.getJsDocs().length > 0;
}

/** Undocumented public symbols of one package entry point, as `Name` or `Name.member`. */
function undocumented(entry: string): string[] {
  const project = new Project({ tsConfigFilePath: path.join(path.dirname(entry), '../tsconfig.json') });
  const file = project.getSourceFileOrThrow(entry);
  const missing: string[] = [];
  const seen = new Set<ExportedDeclarations>();
  for (const [name, declarations] of file.getExportedDeclarations()) {
    for (const declaration of declarations) {
      if (seen.has(declaration)) continue;
      seen.add(declaration);
      // Re-exports from another package are checked in that package.
      if (!declaration.getSourceFile().getFilePath().startsWith(path.dirname(entry))) continue;
      // Generated files carry their own docs per command; the interface itself is checked.
      if (declaration.getSourceFile().getFilePath().includes('/generated/') && name !== 'Commands') continue;
      if (!documented(declaration)) missing.push(name);
      if (Node.isClassDeclaration(declaration)) {
        for (const member of declaration.getMembers()) {
          if (Node.isConstructorDeclaration(member) || Node.isClassStaticBlockDeclaration(member)) continue;
          if (Node.hasName(member) && member.getName().startsWith('#')) continue;
          if (
            Node.isModifierable(member) &&
            (member.hasModifier('private') || member.hasModifier('protected'))
          )
            continue;
          // Overrides of documented base members (the error brand) and symbol-keyed protocol methods.
          if (Node.isModifierable(member) && member.hasModifier('override')) continue;
          if (Node.hasName(member) && member.getName().startsWith('[')) continue;
          const internal =
            Node.isJSDocable(member) && member.getJsDocs().some((d) => d.getText().includes('@internal'));
          if (!internal && !documented(member))
            missing.push(`${name}.${Node.hasName(member) ? member.getName() : '?'}`);
        }
      }
      if (Node.isInterfaceDeclaration(declaration) && name !== 'Commands') {
        for (const member of declaration.getMembers()) {
          if (!documented(member)) missing.push(`${name}.${Node.hasName(member) ? member.getName() : '?'}`);
        }
      }
    }
  }
  return missing.sort();
}

describe('TSDoc on every public symbol', () => {
  for (const pkg of ['resp', 'client', 'falkordb']) {
    it(`@pyrsedis/${pkg}`, () => {
      expect(undocumented(path.join(root, 'packages', pkg, 'src/index.ts'))).toEqual([]);
    });
  }
});
