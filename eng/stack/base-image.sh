#!/usr/bin/env bash
# Builds a stand-in for public.ecr.aws/lambda/python from files on this machine (no image can be pulled here):
# busybox for /bin/sh, Debian's python3 with its standard library, pip, boto3 and nbconvert (notebook steps; its
# templates are not copied: a model brings them, as `pip install --target` puts them), and the shared libraries they need.
# Usage: eng/stack/base-image.sh <image:tag>
set -euo pipefail
image=${1:?image name}
python=$(readlink -f /usr/bin/python3)
version=$(basename "$python")            # python3.11
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

copy() { # copy <path>...: files keep their absolute path inside the image
  for path in "$@"; do
    mkdir -p "$stage$(dirname "$path")"
    cp -a "$path" "$stage$path"
  done
}
libraries() { ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u; }

mkdir -p "$stage/bin" "$stage/usr/bin" "$stage/tmp" "$stage/var/task" "$stage/etc"
cp /bin/busybox "$stage/bin/busybox"
for tool in sh ls cat env mkdir rm cp mv echo; do ln -s busybox "$stage/bin/$tool"; done
copy "$python"
ln -s "$version" "$stage/usr/bin/python3"
ln -s "$version" "$stage/usr/bin/python"
tar -C / --exclude='usr/lib/python3/dist-packages/awscrt*' --exclude='usr/lib/python3/dist-packages/awscli*' --exclude="usr/lib/$version/test" --exclude='*/__pycache__' --exclude="usr/lib/$version/EXTERNALLY-MANAGED" \
    -cf - "usr/lib/$version" usr/lib/python3/dist-packages | tar -C "$stage" -xf -
# OpenSSL's configuration, certificates and provider modules (ssl, cryptography).
for path in /etc/ssl /usr/lib/ssl /usr/lib/x86_64-linux-gnu/ossl-modules /usr/lib/x86_64-linux-gnu/engines-3; do
  [ -e "$path" ] && tar -C / -chf - "${path#/}" | tar -C "$stage" -xf -
done
for lib in $(libraries "$python" "/usr/lib/$version"/lib-dynload/*.so $(find /usr/lib/python3/dist-packages -name '*.so' -not -path '*awscrt*')); do
  copy "$(readlink -f "$lib")"
  [ "$(readlink -f "$lib")" = "$lib" ] || { mkdir -p "$stage$(dirname "$lib")"; ln -sf "$(readlink -f "$lib")" "$stage$lib"; }
done
printf '#!/bin/sh\nexec /usr/bin/python3 -m pip "$@"\n' > "$stage/usr/bin/pip"
chmod +x "$stage/usr/bin/pip"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
# The Lambda base images start the runtime interface emulator from /lambda-entrypoint.sh when run outside Lambda.
mkdir -p "$stage/usr/local/bin"
cp "$(dirname "$0")/lambda-rie.py" "$stage/usr/local/bin/lambda-rie.py"
printf '#!/bin/sh\nexec /usr/bin/python3 -u /usr/local/bin/lambda-rie.py "$@"\n' > "$stage/lambda-entrypoint.sh"
chmod +x "$stage/lambda-entrypoint.sh"
chmod 1777 "$stage/tmp"

tar -C "$stage" -cf - . | docker import \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
  - "$image" >/dev/null
echo "built $image" >&2
