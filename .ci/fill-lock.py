"""Adds lock entries for optional per-platform binary packages that this machine's registry cannot serve.

npm ci requires every optional dependency to have a lock entry; npm install here leaves out the ones whose
packuments 404 (other OS/CPU builds). Each added entry names the version the parent pins, is optional, and
carries the os/cpu/libc constraints read from the package name, so npm never fetches it on this platform.
"""
import json, re, sys
path = sys.argv[1]
lock = json.load(open(path))
pk = lock['packages']
added = 0
for key, meta in list(pk.items()):
    for name, spec in (meta.get('optionalDependencies') or {}).items():
        base = key + '/node_modules/' + name if key else 'node_modules/' + name
        top = 'node_modules/' + name
        if base in pk or top in pk:
            continue
        ver = re.sub(r'^[\^~=]', '', spec)
        os_ = next((o for o in ('android', 'darwin', 'freebsd', 'openbsd', 'netbsd', 'openharmony', 'sunos', 'win32', 'aix', 'linux') if o in name), None)
        cpu = next((c for c in ('arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32') if re.search(r'[-_]' + c + r'(?:[-_.]|$)', name)), None)
        entry = {'version': ver, 'optional': True}
        if meta.get('dev'):
            entry['dev'] = True
        if os_:
            entry['os'] = [os_]
        if cpu:
            entry['cpu'] = [cpu]
        if 'musl' in name:
            entry['libc'] = ['musl']
        elif os_ == 'linux' and ('gnu' in name or cpu):
            entry['libc'] = ['glibc']
        pk[top] = entry
        added += 1
lock['packages'] = dict(sorted(pk.items(), key=lambda kv: (kv[0] != '', kv[0])))
json.dump(lock, open(path, 'w'), indent=2)
open(path, 'a').write('\n')
print('added', added)
