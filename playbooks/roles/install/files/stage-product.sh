#!/bin/sh
# Packs the product for the install role, on the machine running ansible-playbook:
#   stage-product.sh BIN_DIR SOURCE_DIR STAGE_DIR STRIP(yes|no) PROGRAM...
# STAGE_DIR/tree gets bin/, share/man/man{1,8}/, share/openmosix/{suites,init.d}/ and
# STAGE_DIR/product.tar.gz is made from it. The tarball is byte-for-byte the same as long as
# its contents are (sorted names, fixed times and owners, gzip -n), so Ansible's copy sees
# "unchanged" and the nodes are left alone. Prints "unchanged" or "changed".
set -eu
bin_dir=$1 source_dir=$2 stage=$3 strip=$4
shift 4
tree=$stage/tree
mkdir -p "$tree/bin" "$tree/share/man/man1" "$tree/share/man/man8" \
         "$tree/share/openmosix/suites" "$tree/share/openmosix/init.d"

for prog in "$@"; do
    src=$bin_dir/$prog dst=$tree/bin/$prog
    if [ -L "$src" ]; then
        ln -sfn "$(readlink "$src")" "$dst"
    elif [ -f "$src" ]; then
        # Only what changed since the last run is copied and stripped again.
        if [ ! -f "$dst" ] || [ "$src" -nt "$dst" ]; then
            cp -p "$src" "$dst.new"
            [ "$strip" = yes ] && strip --strip-debug "$dst.new"
            touch -r "$src" "$dst.new"
            mv -f "$dst.new" "$dst"
        fi
    else
        echo "stage-product: $src is missing: build first (make) or set omx_bin_dir" >&2
        exit 1
    fi
done
cp -p "$source_dir"/docs/man/*.1 "$tree/share/man/man1/"
cp -p "$source_dir"/docs/man/*.8 "$tree/share/man/man8/"
cp -p "$source_dir"/harness/suites/*.json "$tree/share/openmosix/suites/"
cp -p "$source_dir"/tools/init.d/openmosix "$tree/share/openmosix/init.d/openmosix"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tree" -cf - . | gzip -n -1 > "$stage/product.tar.gz.new"
if cmp -s "$stage/product.tar.gz.new" "$stage/product.tar.gz" 2>/dev/null; then
    rm -f "$stage/product.tar.gz.new"
    echo unchanged
else
    mv -f "$stage/product.tar.gz.new" "$stage/product.tar.gz"
    echo changed
fi
