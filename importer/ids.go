package importer

import (
	"regexp"

	"github.com/google/uuid"
)

// Namespace is the UUIDv5 namespace of every rate-engine id:
// UUIDv5(URL namespace, "urn:securemig:rate-engine"). A contract's id is
// UUIDv5(Namespace, "re_contracts/" + code); every other row's id is
// UUIDv5(contract id, table + "/" + natural key). re_services ids are
// UUIDv5(Namespace, "re_services/" + code), seeded by the schema.
var Namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:securemig:rate-engine"))

// ContractID returns the id of the contract with the given code.
func ContractID(code string) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("re_contracts/"+code))
}

// contractCodeRE is the allowed form of a contract code.
var contractCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ValidContractCode reports whether code is 1–80 letters, digits, '-' or '_'.
func ValidContractCode(code string) bool { return contractCodeRE.MatchString(code) }

// idMaker derives row ids under one contract, reusing a key buffer.
type idMaker struct {
	contract uuid.UUID
	buf      []byte
}

// id returns UUIDv5(contract, table + "/" + parts joined by "/").
func (m *idMaker) id(table string, parts ...string) [16]byte {
	m.buf = append(m.buf[:0], table...)
	for _, p := range parts {
		m.buf = append(m.buf, '/')
		m.buf = append(m.buf, p...)
	}
	return uuid.NewSHA1(m.contract, m.buf)
}
